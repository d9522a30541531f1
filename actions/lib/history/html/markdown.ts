/** The summary for a job summary: the same aggregates as the site, as Markdown with a Mermaid chart. */
import { escapeMarkdown, markdownTable } from '../../reports/markdown.js';
import type { Dashboard, NightlyRow, ProfileView } from './model.js';
import { percent, when } from './markup.js';
import { profileLabel } from './summary-section.js';

const WORD: Record<string, string> = {
  passed: '✅ passed',
  failed: '❌ failed',
  skipped: '⏭️ skipped',
  unknown: '❔ unknown',
};
const verdict = (v: string) => WORD[v] ?? escapeMarkdown(v);

/** Mermaid labels are quoted strings: keep them free of quotes and brackets. */
const label = (text: string) => text.replace(/["[\]]/g, '');

/** An xychart of the last `nights` Tempest results: passed as bars, failed as a line. */
export function mermaidTempest(p: ProfileView, nights: number): string {
  const points = p.tempest.slice(-nights);
  if (!points.length) return '';
  return [
    '```mermaid',
    'xychart-beta',
    `  title "Tempest, last ${points.length} nights (${label(profileLabel(p.profile))}): bars passed, line failed"`,
    `  x-axis [${points.map((t) => `"${label(t.time.slice(5, 10))}"`).join(', ')}]`,
    '  y-axis "tests"',
    `  bar [${points.map((t) => t.passed).join(', ')}]`,
    `  line [${points.map((t) => t.failed).join(', ')}]`,
    '```',
    '',
  ].join('\n');
}

function lastNightlyRow(r: NightlyRow): string[] {
  return [
    escapeMarkdown(profileLabel(r.profile)),
    escapeMarkdown(r.candidate),
    escapeMarkdown(when(r.time)),
    verdict(r.status),
    `deploy ${verdict(r.stages.deploy)}, tempest ${verdict(r.stages.tempest)}, chaos ${verdict(r.stages.chaos)}`,
    `${r.promote.can ? 'yes' : 'no'}: ${escapeMarkdown(r.promote.why)}`,
    r.runUrl ? `[run](${r.runUrl})` : '',
  ];
}

export function summaryMarkdown(d: Dashboard, options: { nights?: number } = {}): string {
  const nights = options.nights ?? 14;
  const out: string[] = ['### Artifact history\n'];
  if (d.summary.lastNightly.length)
    out.push(
      markdownTable(
        ['Profile', 'Candidate', 'Time', 'Result', 'Stages', 'Can promote', 'Run'],
        d.summary.lastNightly.map(lastNightlyRow),
      ),
    );
  else out.push('No nightly run recorded yet.\n');
  const r = d.summary.lastRelease;
  out.push(
    r
      ? `Last release: **${escapeMarkdown(r.version)}** from ${escapeMarkdown(r.candidate)} (${escapeMarkdown(when(r.time))}), ${r.images.length} image(s), ${r.charts.length} chart(s).\n`
      : 'No release yet.\n',
  );
  const rate = d.summary.passRate;
  if (rate.recent !== undefined)
    out.push(
      `Nightly pass rate, last ${rate.nights} runs: ${percent(rate.recent)}${rate.previous !== undefined ? ` (previous ${rate.nights}: ${percent(rate.previous)})` : ''}.\n`,
    );
  for (const p of d.profiles) {
    out.push(mermaidTempest(p, nights));
    if (p.newFailures.length)
      out.push(
        `New Tempest failures on ${escapeMarkdown(profileLabel(p.profile))}: ${p.newFailures.map((f) => `\`${f.id}\``).join(', ')}\n`,
      );
    if (p.flaky.length)
      out.push(
        `Flaky on ${escapeMarkdown(profileLabel(p.profile))}: ${p.flaky
          .slice(0, 10)
          .map((f) => `\`${f.id}\` (${percent(f.failRate)})`)
          .join(', ')}\n`,
      );
  }
  return out.join('\n');
}
