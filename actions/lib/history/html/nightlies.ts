/** The nightly timeline: each run's per-stage verdicts, and whether its candidate can be promoted. */
import type { HistoryEntry } from '../entry.js';
import { DEFAULT_REQUIRED_STAGES, promotionBlockers } from '../promotable.js';
import { type NightlyRow, type StageName, type StageState, STAGES } from './model.js';

const VERDICTS = new Set(['passed', 'failed', 'skipped']);

/** The profile an entry belongs to ('' when it names none: a ledger of one environment). */
export const profileOf = (entry: HistoryEntry): string =>
  typeof entry.profile === 'string' ? entry.profile : '';

/**
 * A stage's verdict: the entry's own (`stages`), else what its report says (a Tempest summary
 * with failures or no passed test, a chaos summary's verdict and kills), else unknown. Read
 * defensively: old lines lack all of it, and a line may carry anything.
 */
export function stageOf(entry: HistoryEntry, stage: StageName): StageState {
  const recorded = (entry.stages as Record<string, unknown> | undefined)?.[stage];
  if (typeof recorded === 'string' && VERDICTS.has(recorded)) return recorded as StageState;
  // Green means tested: a summary that ran no test or killed nothing is no pass.
  const t = entry.tempest;
  if (stage === 'tempest' && typeof t?.failed === 'number')
    return t.failed > 0 || t.passed === 0 ? 'failed' : 'passed';
  const c = entry.chaos;
  if (stage === 'chaos' && typeof c?.kills === 'number')
    return c.passed === true && c.kills > 0 ? 'passed' : 'failed';
  return 'unknown';
}

function stagesOf(entry: HistoryEntry): Record<StageName, StageState> {
  return Object.fromEntries(STAGES.map((s) => [s, stageOf(entry, s)])) as Record<StageName, StageState>;
}

/**
 * Why the candidate of this nightly can or cannot be promoted with require-nightly: the ledger's own
 * rule (promotionBlockers) under the default required stages.
 */
export function promotability(entry: HistoryEntry, releasedAs: readonly string[]): NightlyRow['promote'] {
  const blockers = promotionBlockers(entry, DEFAULT_REQUIRED_STAGES);
  if (blockers.length) return { can: false, why: blockers.join('; ') };
  if (releasedAs.length) return { can: true, why: `promoted as ${releasedAs.join(', ')}` };
  return {
    can: true,
    why: 'passed every stage with every digest recorded: require-nightly accepts these digests',
  };
}

const maxOf = (values: (number | undefined)[]) => {
  const known = values.filter((v): v is number => v !== undefined);
  return known.length ? Math.max(...known) : undefined;
};

/** Mean recovery over all kills of the night (each workload's mean weighted by its kills). */
export function nightlyMeanRecovery(entry: HistoryEntry): number | undefined {
  let total = 0;
  let kills = 0;
  for (const w of entry.chaos?.workloads ?? []) {
    if (w.meanRecoverySeconds === undefined || w.kills === 0) continue;
    total += w.meanRecoverySeconds * w.kills;
    kills += w.kills;
  }
  return kills ? Math.round((total / kills) * 1000) / 1000 : undefined;
}

export function nightlyRow(entry: HistoryEntry, index: number, releasedAs: readonly string[]): NightlyRow {
  const stages = stagesOf(entry);
  const t = entry.tempest;
  const c = entry.chaos;
  return {
    index,
    time: entry.time,
    profile: profileOf(entry),
    candidate: entry.candidate,
    status: entry.status,
    stages,
    ...(entry.release ? { release: entry.release } : {}),
    ...(entry.runUrl ? { runUrl: entry.runUrl } : {}),
    promote: promotability(entry, releasedAs),
    ...(t
      ? {
          tempest: {
            passed: t.passed,
            failed: t.failed,
            skipped: t.skipped,
            durationSeconds: t.durationSeconds,
          },
        }
      : {}),
    ...(c
      ? {
          chaos: {
            passed: c.passed,
            kills: c.kills,
            maxRecoverySeconds: maxOf(c.workloads.map((w) => w.maxRecoverySeconds)),
            meanRecoverySeconds: nightlyMeanRecovery(entry),
          },
        }
      : {}),
    images: entry.images.length,
    charts: entry.charts?.length ?? 0,
  };
}
