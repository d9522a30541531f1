/**
 * Whether a nightly entry can let a promotion through: green means tested, so it must have passed,
 * with every required stage passed, and name every image and chart it deployed by digest.
 */
import { isDigest } from '../registry/reference.js';
import { STAGES, type HistoryEntry, type Stage } from './entry.js';

/** The stages a promotion requires unless the profile (promote.nightly-stages) says otherwise. */
export const DEFAULT_REQUIRED_STAGES: readonly Stage[] = STAGES;

/** What keeps a nightly entry from promoting under the required stages (empty: it can promote). */
export function promotionBlockers(entry: HistoryEntry, required: readonly Stage[]): string[] {
  const blockers: string[] = [];
  if (entry.status !== 'passed') blockers.push(`the run ${entry.status}`);
  if (!entry.stages) {
    if (required.length) blockers.push('it recorded no stage verdicts');
  } else {
    for (const stage of required)
      if (entry.stages[stage] !== 'passed') blockers.push(`${stage} ${entry.stages[stage]}`);
  }
  blockers.push(...digestGaps(entry));
  return blockers;
}

/** Images and charts the entry does not name by digest. */
export function digestGaps(entry: HistoryEntry): string[] {
  const gaps: string[] = [];
  if (entry.images.length === 0) gaps.push('it names no image digests');
  const undigested = [
    ...entry.images.filter((i) => !isDigest(i.digest)).map((i) => i.name),
    ...(entry.charts ?? []).filter((c) => !isDigest(c.digest)).map((c) => `chart ${c.name}`),
  ];
  if (undigested.length) gaps.push(`no digest for ${undigested.join(', ')}`);
  return gaps;
}
