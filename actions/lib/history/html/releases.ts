/** Every release with its bill of materials, and what changed since the one before. */
import { type BillOfMaterials, diffReleases } from '../../release/index.js';
import type { HistoryEntry } from '../entry.js';
import type { ReleaseView } from './model.js';

export const PROMOTION_KIND = 'promotion';

/** A promotion line as the release's bill of materials (what diffReleases compares). */
function bomOf(entry: HistoryEntry): BillOfMaterials {
  return {
    schema: 1,
    release: entry.version ?? entry.candidate,
    candidate: entry.candidate,
    images: entry.images.map((i) => ({
      name: i.name,
      ref: i.ref,
      digest: i.digest,
      ...(i.source ? { source: i.source } : {}),
    })),
    charts: (entry.charts ?? []).map((c) => ({
      name: c.name,
      version: c.version,
      ref: c.ref,
      digest: c.digest,
      contentDigest: c.contentDigest ?? '',
      ...(c.source ? { source: c.source } : {}),
    })),
    commits: entry.commits ?? [],
    manifest: { file: '' },
  };
}

/**
 * Completed promotions in ledger order, newest first, each diffed against the previous completed
 * one. A re-run that completed the same version again replaces the earlier line.
 */
export function releaseViews(entries: readonly HistoryEntry[]): ReleaseView[] {
  const latest = new Map<string, HistoryEntry>();
  for (const e of entries)
    if (e.kind === PROMOTION_KIND && e.status === 'complete' && e.version) {
      latest.delete(e.version);
      latest.set(e.version, e);
    }
  const views: ReleaseView[] = [];
  let previous: HistoryEntry | undefined;
  for (const entry of latest.values()) {
    views.push({
      version: entry.version!,
      time: entry.time,
      candidate: entry.candidate,
      status: entry.status,
      ...(entry.release ? { release: entry.release } : {}),
      ...(entry.runUrl ? { runUrl: entry.runUrl } : {}),
      images: entry.images,
      charts: entry.charts ?? [],
      ...(previous ? { diff: diffReleases(bomOf(previous), bomOf(entry)) } : {}),
    });
    previous = entry;
  }
  return views.reverse();
}
