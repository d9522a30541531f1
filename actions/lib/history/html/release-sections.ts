/** Releases (bill of materials and the diff to the previous one) and the searchable lineage. */
import type { ArtifactChange } from '../../release/diff.js';
import type { LineageRow, ReleaseView } from './model.js';
import { digestCell, esc, link, shortDigest, status, table, when } from './markup.js';

function side(s: ArtifactChange['before']): string {
  return s ? `${esc(s.version)} ${digestCell(s.digest)}` : '—';
}

function diffTable(r: ReleaseView): string {
  const diff = r.diff;
  if (!diff) return '<p>The first release: nothing to compare with.</p>';
  if (!diff.artifacts.length && !diff.commits.length)
    return `<p>Same images, charts and commits as ${esc(diff.from)}.</p>`;
  return table(
    `Changes from ${esc(diff.from)} to ${esc(diff.to)} (${diff.unchanged} unchanged)`,
    [{ title: 'Name' }, { title: 'Kind' }, { title: 'Change' }, { title: diff.from }, { title: diff.to }],
    [
      ...diff.artifacts.map((a) => [esc(a.name), a.kind, esc(a.change), side(a.before), side(a.after)]),
      ...diff.commits.map((c) => [
        esc(c.repository),
        'commit',
        esc(c.change),
        c.before ? `<code>${esc(c.before.slice(0, 12))}</code>` : '—',
        c.after ? `<code>${esc(c.after.slice(0, 12))}</code>` : '—',
      ]),
    ],
  );
}

function bom(r: ReleaseView): string {
  const images = table(
    `Images of ${esc(r.version)}`,
    [{ title: 'Image' }, { title: 'Release reference' }, { title: 'Digest' }, { title: 'Promoted from' }],
    r.images.map((i) => [
      esc(i.name),
      `<code>${esc(i.ref)}</code>`,
      digestCell(i.digest),
      i.source ? `<code>${esc(i.source)}</code>` : '—',
    ]),
  );
  const charts = r.charts.length
    ? table(
        `Charts of ${esc(r.version)}`,
        [{ title: 'Chart' }, { title: 'Version' }, { title: 'Digest' }, { title: 'Promoted from' }],
        r.charts.map((c) => [
          esc(c.name),
          esc(c.version),
          digestCell(c.digest),
          c.source ? `<code>${esc(c.source)}</code>` : '—',
        ]),
      )
    : '<p>No charts.</p>';
  return `<details><summary>Bill of materials: ${r.images.length} image(s), ${r.charts.length} chart(s)</summary>${images}${charts}</details>`;
}

export function releaseSection(r: ReleaseView): string {
  const id = `release-${r.version}`;
  return `<section aria-labelledby="${esc(id)}"><h2 id="${esc(id)}">${esc(r.version)}</h2>
<p>${status(r.status)} from candidate <strong>${esc(r.candidate)}</strong> at ${esc(when(r.time))}. ${r.release ? `Release artifact <code>${esc(r.release.ref)}</code> ${digestCell(r.release.digest)}.` : ''} ${link(r.runUrl, 'run')}</p>
${bom(r)}
${diffTable(r)}
</section>`;
}

/**
 * Lowercase text a search matches: candidate, releases, every artifact's name and the first 12 hex
 * digits of its digest (the page's search cuts a pasted digest to those; a 1,000-night ledger of 300
 * images would otherwise carry 20 MB of digests).
 */
function searchText(row: LineageRow): string {
  return [row.candidate, ...row.releases, ...row.artifacts.flatMap((a) => [a.name, shortDigest(a.digest)])]
    .join(' ')
    .toLowerCase();
}

export function lineageTable(rows: readonly LineageRow[], nightHref: (index: number) => string): string {
  return table(
    'Candidate → nightly runs that deployed it → release',
    [
      { title: 'Candidate' },
      { title: 'Nightly runs' },
      { title: 'Released as' },
      { title: 'Images and charts' },
    ],
    rows.map((row) => [
      `<span id="candidate-${esc(row.candidate)}">${esc(row.candidate)}</span>`,
      row.nightlies.length
        ? row.nightlies
            .map((n) => `<a href="${esc(nightHref(n.index))}">${esc(when(n.time))}</a> ${status(n.status)}`)
            .join('<br>')
        : '—',
      row.releases.length
        ? row.releases.map((v) => `<a href="releases.html#release-${esc(v)}">${esc(v)}</a>`).join(', ')
        : 'not released',
      row.artifacts.length
        ? `<details><summary>${row.artifacts.length} artifact(s)</summary><ul>${row.artifacts.map((a) => `<li>${a.kind} ${esc(a.name)} <code>${esc(shortDigest(a.digest))}</code></li>`).join('')}</ul></details>`
        : '—',
    ]),
    rows.map((row) => `data-search="${esc(searchText(row))}"`),
  );
}
