/** Per-profile sections: the nightly timeline, Tempest trends, flaky tests, new failures, chaos trends. */
import { stackedBars } from './charts.js';
import type { ChaosPoint, NightlyRow, ProfileView, TempestPoint } from './model.js';
import { day, digestCell, esc, link, percent, seconds, status, table, when } from './markup.js';

export function nightlyTable(rows: readonly NightlyRow[], caption: string): string {
  return table(
    caption,
    [
      { title: 'Time' },
      { title: 'Candidate' },
      { title: 'Result' },
      { title: 'Deploy' },
      { title: 'Tempest' },
      { title: 'Chaos' },
      { title: 'Tests (passed / failed / skipped)' },
      { title: 'Release digest' },
      { title: 'Run' },
      { title: 'Promotion' },
    ],
    rows.map((r) => [
      `<span id="night-${r.index}">${esc(when(r.time))}</span>`,
      esc(r.candidate),
      status(r.status),
      status(r.stages.deploy),
      status(r.stages.tempest),
      status(r.stages.chaos),
      r.tempest ? `${r.tempest.passed} / ${r.tempest.failed} / ${r.tempest.skipped}` : '—',
      digestCell(r.release?.digest),
      link(r.runUrl, 'run') || '—',
      `${r.promote.can ? '<span class="st st-passed"><span aria-hidden="true">✔</span> can promote</span>' : '<span class="st st-failed"><span aria-hidden="true">✖</span> cannot promote</span>'}: ${esc(r.promote.why)}`,
    ]),
  );
}

const TEMPEST_STYLES = [
  { name: 'passed', className: 's-passed' },
  { name: 'failed', className: 's-failed', pattern: 'hatch' as const },
  { name: 'skipped', className: 's-skipped', pattern: 'dots' as const },
];

function tempestDescription(points: readonly TempestPoint[]): string {
  const failing = points.filter((p) => p.failed > 0).length;
  const last = points[points.length - 1];
  return `${points.length} nights from ${day(points[0].time)} to ${day(last.time)}; ${failing} with failures. Last night: ${last.passed} passed, ${last.failed} failed, ${last.skipped} skipped. The table below has every number.`;
}

function tempestTrend(id: string, points: readonly TempestPoint[]): string {
  if (!points.length) return '<p>No night in the window has a Tempest summary.</p>';
  const chart = stackedBars(
    id,
    'Tempest tests per night',
    tempestDescription(points),
    points.map((p) => ({
      label: day(p.time).slice(5),
      title: `${when(p.time)} ${p.candidate}: ${p.passed} passed, ${p.failed} failed, ${p.skipped} skipped`,
      segments: [
        { series: 'passed', value: p.passed },
        { series: 'failed', value: p.failed },
        { series: 'skipped', value: p.skipped },
      ],
      ...(p.failed ? { mark: '✖' } : {}),
    })),
    TEMPEST_STYLES,
  );
  const data = table(
    'Tempest per night (the chart’s data)',
    [
      { title: 'Night' },
      { title: 'Candidate' },
      { title: 'Passed', kind: 'num' },
      { title: 'Failed', kind: 'num' },
      { title: 'Skipped', kind: 'num' },
      { title: 'Run' },
    ],
    points.map((p) => [
      esc(when(p.time)),
      esc(p.candidate),
      String(p.passed),
      String(p.failed),
      String(p.skipped),
      link(p.runUrl, 'run') || '—',
    ]),
  );
  return `${chart}<details><summary>Table: Tempest per night</summary>${data}</details>`;
}

function flakySection(p: ProfileView): string {
  if (!p.flaky.length) return '<p>No flaky test in the window.</p>';
  return table(
    `Flaky tests: failed on some nights and passed on later ones (last ${p.tempest.length} nights)`,
    [
      { title: 'Test' },
      { title: 'Fail rate', kind: 'num' },
      { title: 'Failed nights', kind: 'num' },
      { title: 'Nights observed', kind: 'num' },
      { title: 'Last failed' },
    ],
    p.flaky.map((f) => [
      `<code>${esc(f.id)}</code>`,
      percent(f.failRate),
      String(f.failedNights),
      String(f.observedNights),
      esc(when(f.lastFailed)),
    ]),
  );
}

function newFailureSection(p: ProfileView): string {
  const since = p.lastPassing
    ? `since the last night Tempest passed (${when(p.lastPassing)})`
    : 'no night in the window passed Tempest';
  if (!p.newFailures.length) return `<p>No new failure ${p.lastPassing ? esc(since) : ''}.</p>`;
  return table(
    `New failures on the last night: ${esc(since)}`,
    [
      { title: 'Test' },
      { title: 'Failing since' },
      { title: 'Nights failing', kind: 'num' },
      { title: 'First failing run' },
    ],
    p.newFailures.map((f) => [
      `<code>${esc(f.id)}</code>`,
      esc(when(f.since)),
      String(f.nights),
      link(f.runUrl, 'run') || '—',
    ]),
  );
}

function chaosTrend(id: string, points: readonly ChaosPoint[]): string {
  if (!points.length) return '<p>No night in the window has a chaos summary.</p>';
  const failed = points.filter((p) => !p.passed).length;
  const chart = stackedBars(
    id,
    'Longest recovery per night (seconds)',
    `${points.length} resiliency runs; ${failed} failed (marked ✖). Longest recovery of the last: ${seconds(points[points.length - 1].maxRecoverySeconds)}. The tables below have every number.`,
    points.map((p) => ({
      label: day(p.time).slice(5),
      title: `${when(p.time)} ${p.candidate}: ${p.kills} kills, max ${seconds(p.maxRecoverySeconds)}, mean ${seconds(p.meanRecoverySeconds)}, ${p.passed ? 'passed' : 'failed'}`,
      segments: [{ series: 'longest recovery', value: p.maxRecoverySeconds ?? 0 }],
      ...(p.passed ? {} : { mark: '✖' }),
    })),
    [{ name: 'longest recovery', className: 's-recovery' }],
    's',
  );
  const nights = table(
    'Chaos per night (the chart’s data)',
    [
      { title: 'Night' },
      { title: 'Candidate' },
      { title: 'Result' },
      { title: 'Kills', kind: 'num' },
      { title: 'Max recovery', kind: 'num' },
      { title: 'Mean recovery', kind: 'num' },
    ],
    points.map((p) => [
      esc(when(p.time)),
      esc(p.candidate),
      status(p.passed ? 'passed' : 'failed'),
      String(p.kills),
      seconds(p.maxRecoverySeconds),
      seconds(p.meanRecoverySeconds),
    ]),
  );
  const workloads = table(
    'Kills and recovery per workload per night',
    [
      { title: 'Night' },
      { title: 'Workload' },
      { title: 'Kills', kind: 'num' },
      { title: 'Max recovery', kind: 'num' },
      { title: 'Mean recovery', kind: 'num' },
      { title: 'Recovered' },
    ],
    points.flatMap((p) =>
      p.workloads.map((w) => [
        esc(when(p.time)),
        esc(w.workload),
        String(w.kills),
        seconds(w.maxRecoverySeconds),
        seconds(w.meanRecoverySeconds),
        status(w.recovered ? 'passed' : 'failed'),
      ]),
    ),
  );
  return `${chart}<details><summary>Table: chaos per night</summary>${nights}</details><details><summary>Table: per workload</summary>${workloads}</details>`;
}

/** The trends of one profile, for the index page. */
export function profileSection(p: ProfileView, anchor: string, label: string, timeline: string): string {
  const recent = p.nightlies.slice(0, 10);
  return `<section aria-labelledby="${anchor}"><h2 id="${anchor}">${esc(label)}</h2>
${nightlyTable(recent, `Latest ${recent.length} nightly runs (<a href="${esc(timeline)}">all ${p.nightlies.length}</a>)`)}
<h3>Tempest trends</h3>
${tempestTrend(`${anchor}-tempest`, p.tempest)}
<h3>Flaky tests</h3>
${flakySection(p)}
<h3>New failures</h3>
${newFailureSection(p)}
<h3>Chaos trends</h3>
${chaosTrend(`${anchor}-chaos`, p.chaos)}
</section>`;
}
