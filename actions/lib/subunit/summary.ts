import type { TestOutcome, TestResult } from './results.js';

export interface OutcomeCounts {
  total: number;
  /** success + xfail */
  passed: number;
  /** fail + uxsuccess + unfinished */
  failed: number;
  skipped: number;
  xfail: number;
  uxsuccess: number;
  unfinished: number;
}

export const FAILING: ReadonlySet<TestOutcome> = new Set(['fail', 'uxsuccess', 'unfinished']);
export const PASSING: ReadonlySet<TestOutcome> = new Set(['success', 'xfail']);

export function countOutcomes(tests: readonly TestResult[]): OutcomeCounts {
  const counts: OutcomeCounts = {
    total: tests.length,
    passed: 0,
    failed: 0,
    skipped: 0,
    xfail: 0,
    uxsuccess: 0,
    unfinished: 0,
  };
  for (const test of tests) {
    if (PASSING.has(test.outcome)) counts.passed++;
    else if (FAILING.has(test.outcome)) counts.failed++;
    else counts.skipped++;
    if (test.outcome === 'xfail') counts.xfail++;
    if (test.outcome === 'uxsuccess') counts.uxsuccess++;
    if (test.outcome === 'unfinished') counts.unfinished++;
  }
  return counts;
}

/** The `n` slowest tests that have a duration, slowest first (ties by id, so the order is stable). */
export function slowest(tests: readonly TestResult[], n: number): TestResult[] {
  // Kept in order while scanning, not a sort of every test for the first few: equal ones stay in
  // stream order, as a stable sort leaves them.
  const top: TestResult[] = [];
  if (n <= 0) return top;
  const before = (a: TestResult, b: TestResult) => b.durationMs! - a.durationMs! || a.id.localeCompare(b.id);
  for (const test of tests) {
    if (test.durationMs === undefined) continue;
    if (top.length === n && before(test, top[n - 1]) >= 0) continue;
    let at = top.length;
    while (at > 0 && before(test, top[at - 1]) < 0) at--;
    top.splice(at, 0, test);
    if (top.length > n) top.pop();
  }
  return top;
}

export interface GroupTime {
  group: string;
  tests: number;
  failed: number;
  ms: number;
}

/** Test time summed per group (e.g. per OpenStack service), largest first. */
export function timeByGroup(tests: readonly TestResult[], groupOf: (id: string) => string): GroupTime[] {
  const groups = new Map<string, GroupTime>();
  for (const test of tests) {
    const group = groupOf(test.id);
    let entry = groups.get(group);
    if (!entry) groups.set(group, (entry = { group, tests: 0, failed: 0, ms: 0 }));
    entry.tests++;
    if (FAILING.has(test.outcome)) entry.failed++;
    entry.ms += test.durationMs ?? 0;
  }
  return [...groups.values()].sort((a, b) => b.ms - a.ms || a.group.localeCompare(b.group));
}
