import { codeBlock, markdownTable } from '../lib/reports/markdown.js';
import type { NightlyRecord } from './nightly.js';
import type { PromotionReport } from './promote.js';
import { incompleteMessage } from './promote.js';

const STATUS: Record<string, string> = {
  promoted: '✅ promoted',
  skipped: '⏭️ already released',
  planned: '📝 would promote',
  failed: '❌ failed',
  'not-started': '⏸️ not started',
  created: '✅ created',
  exists: '⏭️ exists',
};

/** The job summary of a promotion. */
export function promotionSummary(report: PromotionReport): string {
  const title = report.dryRun
    ? `Promotion plan (dry run): ${report.candidate} → ${report.version}`
    : `Promotion: ${report.candidate} → ${report.version}`;
  const parts = [`### ${title}\n`, `Version ${report.version}: ${report.versionReason}.\n`];
  parts.push(
    markdownTable(
      ['image', 'release tag', 'digest', 'status'],
      report.images.map((i) => [
        i.name,
        `\`${i.target}\``,
        `\`${i.digest}\``,
        `${STATUS[i.status] ?? i.status}${i.error ? `: ${i.error}` : ''}`,
      ]),
    ),
  );
  if (report.gitTags.length) {
    parts.push(
      markdownTable(
        ['repository', 'tag', 'commit', 'status'],
        report.gitTags.map((t) => [
          t.url,
          t.tag,
          `\`${t.commit}\``,
          `${STATUS[t.status] ?? t.status}${t.error ? `: ${t.error}` : ''}`,
        ]),
      ),
    );
  }
  if (report.release)
    parts.push(
      `GitHub release: ${STATUS[report.release.status] ?? report.release.status}${report.release.url ? ` — ${report.release.url}` : ''}${report.release.error ? `: ${report.release.error}` : ''}\n`,
    );
  if (report.history)
    parts.push(
      `History (${report.history.target}): ${report.history.status}${report.history.error ? `: ${report.history.error}` : ''}\n`,
    );
  if (!report.complete) parts.push(codeBlock(incompleteMessage(report)));
  return parts.join('\n');
}

/** The job summary of `mode: record-nightly`. */
export function nightlySummary(record: NightlyRecord): string {
  const { entry } = record;
  const verdict = entry.status === 'passed' ? '✅ passed' : '❌ failed';
  const parts = [
    `### Nightly of ${entry.candidate}: ${verdict}\n`,
    `${record.status === 'planned' ? 'Would be recorded (dry run)' : 'Recorded'} in the artifact ledger ${record.target}${entry.runUrl ? ` for ${entry.runUrl}` : ''}.\n`,
  ];
  if (entry.images.length)
    parts.push(
      markdownTable(
        ['image', 'reference', 'digest'],
        entry.images.map((i) => [i.name, `\`${i.ref}\``, `\`${i.digest}\``]),
      ),
    );
  if (record.missing.length)
    parts.push(`Not in the registry: ${record.missing.map((r) => `\`${r}\``).join(', ')}\n`);
  return parts.join('\n');
}
