/** The one-screen summary: last nightly per profile, last release, pass-rate trend. */
import type { Dashboard, NightlyRow } from './model.js';
import { esc, link, percent, status, when } from './markup.js';

export const profileLabel = (profile: string) => profile || 'default profile';

function nightlyCard(row: NightlyRow, timelineHref: string): string {
  return `<section class="card" aria-labelledby="last-${row.index}">
<h3 id="last-${row.index}">Last nightly — ${esc(profileLabel(row.profile))}</h3>
<p>${status(row.status)} <strong>${esc(row.candidate)}</strong> at ${esc(when(row.time))} ${link(row.runUrl, 'run')}</p>
<p>Deploy ${status(row.stages.deploy)} · Tempest ${status(row.stages.tempest)} · Chaos ${status(row.stages.chaos)}</p>
<p>${row.promote.can ? 'Can promote' : 'Cannot promote'}: ${esc(row.promote.why)}. <a href="${esc(timelineHref)}">Timeline</a></p>
</section>`;
}

function trendText(recent: number | undefined, previous: number | undefined): string {
  if (recent === undefined) return 'no nightly runs yet';
  if (previous === undefined) return `${percent(recent)} (no earlier window to compare)`;
  const delta = Math.round((recent - previous) * 100);
  const direction =
    delta > 0 ? `up ${delta} points ▲` : delta < 0 ? `down ${-delta} points ▼` : 'unchanged ▬';
  return `${percent(recent)}, ${direction} from ${percent(previous)}`;
}

export function summarySection(d: Dashboard, timelineHref: (profile: string) => string): string {
  const r = d.summary.lastRelease;
  const release = r
    ? `<p><strong>${esc(r.version)}</strong> from ${esc(r.candidate)} at ${esc(when(r.time))}: ${r.images.length} image(s), ${r.charts.length} chart(s). ${link(r.runUrl, 'run')} <a href="releases.html#release-${esc(r.version)}">Bill of materials</a></p>`
    : '<p>No release yet.</p>';
  return `<section aria-labelledby="summary"><h2 id="summary">Summary</h2>
<p class="muted">${d.summary.entries} ledger entries${d.summary.asOf ? `, up to ${esc(when(d.summary.asOf))}` : ''}.</p>
<div class="cards">
${d.summary.lastNightly.map((row) => nightlyCard(row, timelineHref(row.profile))).join('\n')}
<section class="card" aria-labelledby="last-release"><h3 id="last-release">Last release</h3>${release}</section>
<section class="card" aria-labelledby="pass-rate"><h3 id="pass-rate">Nightly pass rate</h3>
<p>Last ${d.summary.passRate.nights} nightly runs: ${esc(trendText(d.summary.passRate.recent, d.summary.passRate.previous))}.</p></section>
</div></section>`;
}
