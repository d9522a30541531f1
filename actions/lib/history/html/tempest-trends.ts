/** Tempest over the nights of a profile: counts per night, flaky tests, failures since the last passing night. */
import type { HistoryEntry } from '../entry.js';
import type { FlakyTest, NewFailure, TempestPoint } from './model.js';

type Night = { index: number; entry: HistoryEntry & { tempest: NonNullable<HistoryEntry['tempest']> } };

export function tempestPoints(nights: readonly Night[]): TempestPoint[] {
  return nights.map(({ index, entry }) => ({
    index,
    time: entry.time,
    candidate: entry.candidate,
    passed: entry.tempest.passed,
    failed: entry.tempest.failed,
    skipped: entry.tempest.skipped,
    ...(entry.runUrl ? { runUrl: entry.runUrl } : {}),
  }));
}

/** The ids that failed on a night, including those that only passed when run again. */
const failedOn = (night: Night) =>
  new Set([...night.entry.tempest.failures, ...(night.entry.tempest.flaky ?? [])]);

/** Whether the night lists every failure (a night with more than the ledger keeps cannot vouch for a pass). */
const complete = (night: Night) => !night.entry.tempest.moreFailures;

/**
 * Tests that failed on a night and passed on a later one within the window (oldest first): they
 * come and go. A test that starts failing and keeps failing is a new failure, not flaky.
 */
export function flakyTests(nights: readonly Night[]): FlakyTest[] {
  const stats = new Map<
    string,
    { failed: number; observed: number; firstFail?: number; passedAfter: boolean; last: string }
  >();
  const ids = new Set(nights.flatMap((n) => [...failedOn(n)]));
  for (const id of ids) stats.set(id, { failed: 0, observed: 0, passedAfter: false, last: '' });
  nights.forEach((night, position) => {
    const failed = failedOn(night);
    for (const [id, s] of stats) {
      if (failed.has(id)) {
        s.failed++;
        s.observed++;
        s.firstFail ??= position;
        s.last = night.entry.time;
        if (night.entry.tempest.flaky?.includes(id)) s.passedAfter = true;
      } else if (complete(night)) {
        s.observed++;
        if (s.firstFail !== undefined) s.passedAfter = true;
      }
    }
  });
  return [...stats]
    .filter(([, s]) => s.passedAfter)
    .map(([id, s]) => ({
      id,
      failedNights: s.failed,
      observedNights: s.observed,
      failRate: s.failed / s.observed,
      lastFailed: s.last,
    }))
    .sort((a, b) => b.failRate - a.failRate || (a.id < b.id ? -1 : a.id > b.id ? 1 : 0));
}

/**
 * Tests failing on the newest night that did not fail on the last night Tempest passed (no
 * failures), with the night they started failing. Without a passing night, every failure is new.
 */
export function newFailures(nights: readonly Night[]): { failures: NewFailure[]; lastPassing?: string } {
  if (nights.length === 0) return { failures: [] };
  let lastPassingAt = -1;
  nights.forEach((n, i) => {
    if (n.entry.tempest.failed === 0) lastPassingAt = i;
  });
  const newest = nights[nights.length - 1];
  const after = nights.slice(lastPassingAt + 1);
  const failures = newest.entry.tempest.failures.map((id): NewFailure => {
    // The start of the unbroken run of failures that reaches the newest night.
    let start = after.length - 1;
    while (start > 0 && after[start - 1].entry.tempest.failures.includes(id)) start--;
    const first = after[start];
    return {
      id,
      since: first.entry.time,
      nights: after.length - start,
      ...(first.entry.runUrl ? { runUrl: first.entry.runUrl } : {}),
    };
  });
  failures.sort((a, b) =>
    a.since < b.since ? -1 : a.since > b.since ? 1 : a.id < b.id ? -1 : a.id > b.id ? 1 : 0,
  );
  return {
    failures,
    ...(lastPassingAt >= 0 ? { lastPassing: nights[lastPassingAt].entry.time } : {}),
  };
}

export function tempestNights(entries: readonly { index: number; entry: HistoryEntry }[]): Night[] {
  return entries.filter((n): n is Night => isTempestSummary(n.entry.tempest));
}

/** Old or foreign lines may carry anything: only a well-formed summary counts. */
function isTempestSummary(value: unknown): value is NonNullable<HistoryEntry['tempest']> {
  const t = value as HistoryEntry['tempest'];
  return (
    typeof t === 'object' &&
    t !== null &&
    [t.passed, t.failed, t.skipped].every((n) => typeof n === 'number') &&
    Array.isArray(t.failures)
  );
}
