/** Resiliency over the nights of a profile: kills and recovery times per night and per workload. */
import type { HistoryEntry } from '../entry.js';
import type { ChaosPoint } from './model.js';
import { nightlyMeanRecovery } from './nightlies.js';

function isChaosSummary(value: unknown): value is NonNullable<HistoryEntry['chaos']> {
  const c = value as HistoryEntry['chaos'];
  return typeof c === 'object' && c !== null && typeof c.kills === 'number' && Array.isArray(c.workloads);
}

export function chaosPoints(nights: readonly { index: number; entry: HistoryEntry }[]): ChaosPoint[] {
  const points: ChaosPoint[] = [];
  for (const { index, entry } of nights) {
    if (!isChaosSummary(entry.chaos)) continue;
    const max = entry.chaos.workloads
      .map((w) => w.maxRecoverySeconds)
      .filter((v): v is number => typeof v === 'number');
    const mean = nightlyMeanRecovery(entry);
    points.push({
      index,
      time: entry.time,
      candidate: entry.candidate,
      passed: entry.chaos.passed === true,
      kills: entry.chaos.kills,
      ...(max.length ? { maxRecoverySeconds: Math.max(...max) } : {}),
      ...(mean !== undefined ? { meanRecoverySeconds: mean } : {}),
      workloads: entry.chaos.workloads,
    });
  }
  return points;
}
