import { describeStages } from './stages.js';
import { codeBlock, markdownTable } from '../lib/reports/markdown.js';
import { formatBomMarkdown } from '../lib/release/index.js';
import type { CandidateReleaseReport } from './candidate-release.js';
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

const status = (value: string, error?: string) => `${STATUS[value] ?? value}${error ? `: ${error}` : ''}`;

/** The job summary of a promotion. */
export function promotionSummary(report: PromotionReport): string {
  const title = report.dryRun
    ? `Promotion plan (dry run): ${report.candidate} → ${report.version}`
    : `Promotion: ${report.candidate} → ${report.version}`;
  const parts = [`### ${title}\n`, `Version ${report.version}: ${report.versionReason}.\n`];
  if (report.from)
    parts.push(`From the candidate release \`${report.from.ref}\` (\`${report.from.digest}\`).\n`);
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
  if (report.charts.length) {
    parts.push(
      markdownTable(
        ['chart', 'release tag', 'digest', 'from', 'status'],
        report.charts.map((c) => [
          c.name,
          `\`${c.ref}\``,
          `\`${c.digest}\``,
          `\`${c.source}\``,
          status(c.status, c.error),
        ]),
      ),
    );
  }
  if (report.releaseArtifact) {
    const a = report.releaseArtifact;
    parts.push(
      `Release artifact (bill of materials + rendered Armada manifest): \`${a.ref}\` \`${a.digest}\` — ${status(a.status, a.error)}\n`,
    );
  }
  if (report.previous?.markdown) parts.push(report.previous.markdown);
  else if (report.previous?.error)
    parts.push(
      `The previous release ${report.previous.version} could not be read: ${report.previous.error}\n`,
    );
  else if (report.releaseArtifact) parts.push('No earlier release artifact to compare with.\n');
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
  if (entry.stages) parts.push(`Stages: ${describeStages(entry.stages)}.\n`);
  if (entry.release) parts.push(`Deployed release \`${entry.release.ref}\` \`${entry.release.digest}\`.\n`);
  if (entry.images.length)
    parts.push(
      markdownTable(
        ['image', 'reference', 'digest'],
        entry.images.map((i) => [i.name, `\`${i.ref}\``, `\`${i.digest}\``]),
      ),
    );
  if (entry.charts?.length)
    parts.push(
      markdownTable(
        ['chart', 'version', 'digest'],
        entry.charts.map((c) => [c.name, c.version, `\`${c.digest}\``]),
      ),
    );
  if (record.missing.length)
    parts.push(`Named without a digest: ${record.missing.map((r) => `\`${r}\``).join(', ')}\n`);
  return parts.join('\n');
}

/** The job summary of `mode: candidate-release`: the bill of materials written. */
export function candidateReleaseSummary(report: CandidateReleaseReport): string {
  const verb = {
    pushed: 'Written',
    skipped: 'Already there (unchanged)',
    planned: 'Would be written (dry run)',
  }[report.status];
  return [
    `### Candidate release ${report.candidate}\n`,
    `${verb}: \`${report.ref}\` \`${report.digest}\`. Deploy it with deploy-armada's \`release\` input; promote it with promote-version's \`release\` input.\n`,
    formatBomMarkdown({ ref: report.ref, digest: report.digest, bom: report.bom }),
  ].join('\n');
}
