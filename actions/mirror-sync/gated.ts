import { readFileSync } from 'node:fs';
import { UserError } from '../lib/errors.js';
import type { SyncReport } from './sync.js';

/**
 * What an earlier job's gate approved: the ref values its dry run would have pushed (null: would
 * delete). The push job then runs no gate and pushes a ref only if the upstream still has exactly
 * that value, so the job holding the mirror's token never runs upstream code.
 */
export type GatedRefs = ReadonlyMap<string, string | null>;

const APPROVED = new Set(['would-create', 'would-update', 'would-force', 'would-delete']);

/**
 * Reads the report file of the gate job (`gated` input) and checks it is for this mirror. When
 * this mirror has a gate (`gateConfigured`), an update counts as approved only if the gate job ran
 * it and it passed: a gate job that ran without the gate (`none`) approves no update, so a skipped
 * gate cannot let a push count as gated. A deletion needs no gate either way.
 */
export function readGatedReport(
  file: string,
  upstream: string,
  mirror: string,
  gateConfigured: boolean,
): GatedRefs {
  let report: SyncReport;
  try {
    report = JSON.parse(readFileSync(file, 'utf8')) as SyncReport;
  } catch (err) {
    throw new UserError(
      `Input 'gated': cannot read the gate job's report ${file}: ${(err as Error).message}`,
    );
  }
  if (!Array.isArray(report?.refs) || typeof report.upstream !== 'string')
    throw new UserError(`Input 'gated': ${file} is not a mirror-sync report`);
  if (report.dryRun !== true)
    throw new UserError(
      `Input 'gated': ${file} is the report of a run that pushed; the gate job runs with dry-run: true`,
    );
  if (report.upstream !== upstream || report.mirror !== mirror)
    throw new UserError(
      `Input 'gated': ${file} is the report of ${report.upstream} → ${report.mirror}, not of ${upstream} → ${mirror}`,
    );
  const gated = new Map<string, string | null>();
  const ungatedAllowed = (action: string) => !gateConfigured || action === 'would-delete';
  for (const ref of report.refs) {
    if (!APPROVED.has(ref.action)) continue;
    if (ref.gate === 'passed' || (ref.gate === 'none' && ungatedAllowed(ref.action)))
      gated.set(ref.ref, ref.new);
  }
  return gated;
}
