/**
 * Runs kolla-build and reads what it reports: the JSON summary (`--format json` with
 * `summary_json_file`, written by kolla_worker.summary()) and the per-image logs in `logs_dir`
 * (`<image>.log`). kolla-build cannot be installed on the test machines, so this stays small and
 * everything it needs is generated (options.ts) or parsed (parseKollaSummary) in tested code.
 */
import { existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { errorMessage } from '../../lib/errors.js';
import { type RunOptions, describeFailure, runProcess } from '../../lib/process.js';
import type { KollaInvocation } from './options.js';

/** kolla_worker.summary(): `{built: [{name}], failed: [{name, status}], not_matched, skipped, unbuildable}`. */
export interface KollaSummary {
  built: string[];
  failed: { name: string; status: string }[];
  notMatched: string[];
  skipped: string[];
  unbuildable: string[];
}

export class KollaSummaryError extends Error {
  override readonly name = 'KollaSummaryError';
}

export function parseKollaSummary(text: string, source: string): KollaSummary {
  let data: unknown;
  try {
    data = JSON.parse(text);
  } catch (err) {
    throw new KollaSummaryError(`${source}: not JSON (${errorMessage(err)})`);
  }
  if (typeof data !== 'object' || data === null || Array.isArray(data)) {
    throw new KollaSummaryError(`${source}: expected kolla-build's summary object {built, failed, …}`);
  }
  const record = data as Record<string, unknown>;
  const entries = (key: string): Record<string, unknown>[] => {
    const value = record[key] ?? [];
    if (
      !Array.isArray(value) ||
      value.some(
        (e) => typeof e !== 'object' || e === null || typeof (e as { name?: unknown }).name !== 'string',
      )
    ) {
      throw new KollaSummaryError(`${source}: "${key}" must be a list of {name: …} entries`);
    }
    return value as Record<string, unknown>[];
  };
  if (!Array.isArray(record.built) || !Array.isArray(record.failed)) {
    throw new KollaSummaryError(`${source}: expected kolla-build's summary with "built" and "failed" lists`);
  }
  return {
    built: entries('built').map((e) => e.name as string),
    failed: entries('failed').map((e) => ({
      name: e.name as string,
      status: typeof e.status === 'string' ? e.status : 'error',
    })),
    notMatched: entries('not_matched').map((e) => e.name as string),
    skipped: entries('skipped').map((e) => e.name as string),
    unbuildable: entries('unbuildable').map((e) => e.name as string),
  };
}

export interface KollaRun {
  exitCode: number | null;
  summary: KollaSummary;
  /** Why the run as a whole failed when it produced no summary (bad config, crash, timeout). */
  failure?: string;
  /** The per-image build log, if kolla wrote one. */
  imageLog(name: string): string | undefined;
}

export async function runKollaBuild(invocation: KollaInvocation, options: RunOptions): Promise<KollaRun> {
  mkdirSync(invocation.logsDir, { recursive: true });
  writeFileSync(invocation.configFile, invocation.configText);
  const result = await runProcess(invocation.command, invocation.args, { ...options, cwd: invocation.cwd });
  const imageLog = (name: string) => {
    const file = path.join(invocation.logsDir, `${name}.log`);
    return existsSync(file) ? readFileSync(file, 'utf8') : undefined;
  };
  if (!existsSync(invocation.summaryFile)) {
    return {
      exitCode: result.exitCode,
      summary: { built: [], failed: [], notMatched: [], skipped: [], unbuildable: [] },
      failure: `kolla-build wrote no summary (${invocation.summaryFile}): ${describeFailure(result, options.secrets)}`,
      imageLog,
    };
  }
  const summary = parseKollaSummary(readFileSync(invocation.summaryFile, 'utf8'), invocation.summaryFile);
  return { exitCode: result.exitCode, summary, imageLog };
}
