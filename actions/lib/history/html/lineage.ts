/** Lineage: each candidate tag → the nightly runs that deployed it → the release(s) it became. */
import type { HistoryEntry } from '../entry.js';
import type { LineageRow } from './model.js';
import { profileOf } from './nightlies.js';
import { PROMOTION_KIND } from './releases.js';

export function lineageRows(entries: readonly HistoryEntry[]): LineageRow[] {
  const rows = new Map<string, LineageRow & { seen: Set<string> }>();
  entries.forEach((entry, index) => {
    let row = rows.get(entry.candidate);
    if (!row) {
      row = {
        candidate: entry.candidate,
        first: entry.time,
        nightlies: [],
        releases: [],
        artifacts: [],
        seen: new Set(),
      };
      rows.set(entry.candidate, row);
    }
    if (entry.kind === PROMOTION_KIND) {
      if (entry.status === 'complete' && entry.version && !row.releases.includes(entry.version))
        row.releases.push(entry.version);
    } else {
      row.nightlies.push({
        index,
        time: entry.time,
        status: entry.status,
        profile: profileOf(entry),
        ...(entry.runUrl ? { runUrl: entry.runUrl } : {}),
      });
    }
    // The candidate's own artifacts: what the nightlies deployed (a promotion names release refs).
    const sources =
      entry.kind === PROMOTION_KIND
        ? []
        : [
            ...entry.images.map((i) => ({
              kind: 'image' as const,
              name: i.name,
              digest: i.digest,
              ref: i.ref,
            })),
            ...(entry.charts ?? []).map((c) => ({
              kind: 'chart' as const,
              name: c.name,
              digest: c.digest,
              ref: c.ref,
            })),
          ];
    for (const artifact of sources) {
      const key = `${artifact.kind}:${artifact.name}@${artifact.digest}`;
      if (row.seen.has(key)) continue;
      row.seen.add(key);
      row.artifacts.push(artifact);
    }
  });
  // Newest candidate first; artifacts stay in ledger order (the same ledger gives the same page).
  return [...rows.values()]
    .map(({ seen: _seen, ...row }) => row)
    .sort((a, b) => (a.first > b.first ? -1 : a.first < b.first ? 1 : 0));
}
