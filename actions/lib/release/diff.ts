import { escapeMarkdown, markdownTable } from '../reports/markdown.js';
import type { BillOfMaterials, BomChart, BomCommit, BomImage } from './bom.js';

export type ChangeKind = 'added' | 'removed' | 'changed';

/** One release's side of a change: a chart's `sourceVersion` is the candidate version it was re-versioned from. */
export interface ArtifactSide {
  version: string;
  sourceVersion?: string;
  digest: string;
  commit?: string;
}

/** One image or chart that differs between two releases; `before`/`after` are absent when added/removed. */
export interface ArtifactChange {
  kind: 'image' | 'chart';
  name: string;
  change: ChangeKind;
  before?: ArtifactSide;
  after?: ArtifactSide;
}

export interface CommitChange {
  repository: string;
  change: ChangeKind;
  before?: string;
  after?: string;
}

export interface ReleaseDiff {
  from: string;
  to: string;
  artifacts: ArtifactChange[];
  commits: CommitChange[];
  /** Images and charts with the same digest in both. */
  unchanged: number;
}

/** The tag of `host/repo:tag[@digest]` ('' without one). */
export function tagOf(ref: string): string {
  const last = ref.slice(ref.lastIndexOf('/') + 1).split('@')[0];
  const colon = last.indexOf(':');
  return colon < 0 ? '' : last.slice(colon + 1);
}

const imageSide = (i: BomImage) => ({ version: tagOf(i.ref), digest: i.digest, commit: i.commit });
const chartSide = (c: BomChart): ArtifactSide => {
  const sourceVersion = chartSourceVersion(c);
  return {
    version: c.version,
    ...(sourceVersion ? { sourceVersion } : {}),
    digest: c.digest,
    commit: c.commit,
  };
};

/**
 * The candidate version a release chart was re-versioned from: recorded in the BOM, else (BOMs
 * written before it was) the tag of its source reference, where `+` is written `_`.
 */
export function chartSourceVersion(chart: BomChart): string | undefined {
  const version = chart.sourceVersion ?? (chart.source ? tagOf(chart.source).replaceAll('_', '+') : '');
  return version && version !== chart.version ? version : undefined;
}

function compare<T extends { name: string }>(
  kind: ArtifactChange['kind'],
  before: readonly T[],
  after: readonly T[],
  side: (item: T) => ArtifactSide,
): { changes: ArtifactChange[]; unchanged: number } {
  const old = new Map(before.map((i) => [i.name, i]));
  const changes: ArtifactChange[] = [];
  let unchanged = 0;
  for (const item of after) {
    const previous = old.get(item.name);
    old.delete(item.name);
    if (!previous) changes.push({ kind, name: item.name, change: 'added', after: side(item) });
    else if (side(previous).digest !== side(item).digest)
      changes.push({ kind, name: item.name, change: 'changed', before: side(previous), after: side(item) });
    else unchanged++;
  }
  for (const item of old.values())
    changes.push({ kind, name: item.name, change: 'removed', before: side(item) });
  return { changes, unchanged };
}

function compareCommits(before: readonly BomCommit[], after: readonly BomCommit[]): CommitChange[] {
  const old = new Map(before.map((c) => [c.repository, c.commit]));
  const changes: CommitChange[] = [];
  for (const c of after) {
    const previous = old.get(c.repository);
    old.delete(c.repository);
    if (previous === undefined) changes.push({ repository: c.repository, change: 'added', after: c.commit });
    else if (previous !== c.commit)
      changes.push({ repository: c.repository, change: 'changed', before: previous, after: c.commit });
  }
  for (const [repository, commit] of old) changes.push({ repository, change: 'removed', before: commit });
  return changes;
}

/** What changed from release `a` to release `b`: images and charts by name, source commits by repository. */
export function diffReleases(a: BillOfMaterials, b: BillOfMaterials): ReleaseDiff {
  const images = compare('image', a.images, b.images, imageSide);
  const charts = compare('chart', a.charts, b.charts, chartSide);
  const order = (x: ArtifactChange, y: ArtifactChange) =>
    x.kind === y.kind ? (x.name < y.name ? -1 : x.name > y.name ? 1 : 0) : x.kind === 'image' ? -1 : 1;
  return {
    from: a.release,
    to: b.release,
    artifacts: [...images.changes, ...charts.changes].sort(order),
    commits: compareCommits(a.commits, b.commits),
    unchanged: images.unchanged + charts.unchanged,
  };
}

export const shortDigest = (digest: string | undefined): string =>
  digest ? digest.replace(/^(sha256:)?([0-9a-f]{12})[0-9a-f]*$/, (_m, _algo, hex: string) => hex) : '';

const shortCommit = (commit: string | undefined) => (commit ? commit.slice(0, 12) : '');

function sideText(side: ArtifactSide | undefined): string {
  if (!side) return '—';
  const from = side.sourceVersion ? ` (from ${side.sourceVersion})` : '';
  return `${side.version}${from} ${shortDigest(side.digest)}${side.commit ? ` (${shortCommit(side.commit)})` : ''}`;
}

/** Plain-text rows (for a terminal): kind, name, change, before, after. */
export function releaseDiffRows(diff: ReleaseDiff): string[][] {
  return [
    ...diff.artifacts.map((a) => [a.kind, a.name, a.change, sideText(a.before), sideText(a.after)]),
    ...diff.commits.map((c) => [
      'commit',
      c.repository,
      c.change,
      shortCommit(c.before),
      shortCommit(c.after),
    ]),
  ];
}

export function releaseDiffMarkdown(diff: ReleaseDiff): string {
  const title = `#### Changes from ${escapeMarkdown(diff.from)} to ${escapeMarkdown(diff.to)}\n\n`;
  const rows = releaseDiffRows(diff);
  if (!rows.length) return `${title}Nothing changed: every image, chart and source commit is the same.\n`;
  return (
    title +
    markdownTable(
      ['Kind', 'Name', 'Change', escapeMarkdown(diff.from), escapeMarkdown(diff.to)],
      rows.map((row) =>
        row.map((cell, i) =>
          i >= 3 ? (cell === '—' || !cell ? cell : `\`${cell}\``) : escapeMarkdown(cell),
        ),
      ),
    ) +
    `\n${diff.unchanged} image(s) and chart(s) unchanged.\n`
  );
}
