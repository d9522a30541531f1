import { mkdir, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { formatDuration } from '../lib/duration.js';
import { codeBlock, details, escapeMarkdown, markdownTable } from '../lib/reports/markdown.js';
import type { RefAction, RefResult, SyncReport } from './sync.js';

/** The `updated-refs` output: every ref whose state differs between upstream and mirror. */
export interface UpdatedRef {
  ref: string;
  old: string | null;
  new: string | null;
  commits: number | null;
  gate: RefResult['gate'];
  action: RefAction;
  reason?: string;
}

export function updatedRefs(report: SyncReport): UpdatedRef[] {
  return report.refs
    .filter((r) => r.action !== 'unchanged' && r.action !== 'untouched')
    .map(({ ref, old, new: value, commits, gate, action, reason }) => ({
      ref,
      old,
      new: value,
      commits,
      gate,
      action,
      ...(reason ? { reason } : {}),
    }));
}

export async function writeReport(report: SyncReport, dir: string): Promise<string> {
  await mkdir(dir, { recursive: true });
  const file = path.join(dir, `mirror-sync-${report.name.replace(/[^A-Za-z0-9._-]/g, '_')}.json`);
  await writeFile(file, `${JSON.stringify(report, null, 2)}\n`);
  return file;
}

const ICON: Record<RefAction, string> = {
  unchanged: '·',
  created: '🆕',
  updated: '⬆️',
  forced: '⚠️',
  deleted: '🗑️',
  'would-create': '🆕',
  'would-update': '⬆️',
  'would-force': '⚠️',
  'would-delete': '🗑️',
  refused: '⛔',
  'gate-failed': '❌',
  skipped: '⏭️',
  'lost-race': '🏁',
  'push-failed': '💥',
  kept: '📌',
  untouched: '🔒',
};

function short(oid: string | null): string {
  return oid ? `\`${oid.slice(0, 12)}\`` : '—';
}

function row(r: RefResult): (string | number)[] {
  return [
    `\`${escapeMarkdown(r.ref)}\``,
    `${ICON[r.action]} ${r.action}`,
    short(r.old),
    short(r.new),
    r.commits ?? '',
    r.gate === 'none' ? '' : r.gate,
    r.reason ? escapeMarkdown(r.reason) : '',
  ];
}

/** The job summary: a table of every ref; refs in sync go into a collapsed block. */
export function summaryMarkdown(report: SyncReport): string {
  const headers = ['Ref', 'Action', 'Mirror had', 'Upstream has', 'Commits', 'Gate', 'Note'];
  const moving = report.refs.filter((r) => r.action !== 'unchanged');
  const steady = report.refs.filter((r) => r.action === 'unchanged');
  const counts = new Map<RefAction, number>();
  for (const r of report.refs) counts.set(r.action, (counts.get(r.action) ?? 0) + 1);
  const lines = [
    `### Mirror sync: ${escapeMarkdown(report.name)}${report.dryRun ? ' (dry run: nothing pushed)' : ''}`,
    '',
    `\`${escapeMarkdown(report.upstream)}\` → \`${escapeMarkdown(report.mirror)}\` in ${formatDuration(report.durationMs)}` +
      ` — ${[...counts].map(([a, n]) => `${n} ${a}`).join(', ') || 'no refs selected'}`,
    '',
  ];
  if (report.cache.recovery.length)
    lines.push(`Cache repaired: ${report.cache.recovery.map(escapeMarkdown).join('; ')}`, '');
  if (moving.length) lines.push(markdownTable(headers, moving.map(row)));
  if (steady.length)
    lines.push(details(`${steady.length} ref(s) already in sync`, markdownTable(headers, steady.map(row))));
  const failedGates = report.gates.filter((g) => g.status !== 'passed');
  for (const g of failedGates)
    lines.push(
      details(
        `Gate ${g.status} on ${g.commit.slice(0, 12)} (last lines)`,
        codeBlock(g.tail || '(no output)'),
      ),
    );
  return lines.join('\n');
}
