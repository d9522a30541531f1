/**
 * The compact per-night summaries a nightly entry keeps: Tempest's counts and failing ids from its
 * Subunit stream, cookiemonster's kills and recovery times from its JSON report. No tracebacks, no
 * timelines: the ledger grows by a few hundred bytes a night.
 */
import { readFile } from 'node:fs/promises';
import { UserError } from '../errors.js';
import { readSubunitFile } from '../subunit/read.js';
import type { SubunitRun } from '../subunit/results.js';
import { countOutcomes, FAILING, PASSING } from '../subunit/summary.js';
import type { ChaosSummary, ChaosWorkloadSummary, TempestSummary } from './entry.js';

/** Failing ids kept per night; a night with more keeps the count of the rest. */
export const TEMPEST_FAILURES_KEPT = 200;

const seconds = (ms: number) => Math.round(ms) / 1000;

export function summarizeTempest(run: SubunitRun): TempestSummary {
  const counts = countOutcomes(run.tests);
  const failing = run.tests
    .filter((t) => FAILING.has(t.outcome))
    .map((t) => t.id)
    .sort();
  const flaky = run.tests
    .filter((t) => PASSING.has(t.outcome) && t.previous.some((o) => FAILING.has(o)))
    .map((t) => t.id)
    .sort();
  return {
    passed: counts.passed,
    failed: counts.failed,
    skipped: counts.skipped,
    ...(run.startMs !== undefined && run.endMs !== undefined
      ? { durationSeconds: seconds(run.endMs - run.startMs) }
      : {}),
    failures: failing.slice(0, TEMPEST_FAILURES_KEPT),
    ...(failing.length > TEMPEST_FAILURES_KEPT
      ? { moreFailures: failing.length - TEMPEST_FAILURES_KEPT }
      : {}),
    ...(flaky.length ? { flaky } : {}),
  };
}

/** The tempest action's Subunit v2 stream (its `subunit` output), summarized. */
export async function readTempestSummary(file: string): Promise<TempestSummary> {
  const run = await readSubunitFile(file);
  if (run.stream.packets === 0 && run.stream.bytes > 0)
    throw new UserError(`${file}: not a Subunit v2 stream (the tempest action's 'subunit' output)`);
  return summarizeTempest(run);
}

interface ReportWorkload {
  workload?: unknown;
  kills?: unknown;
  maxRecoveryMs?: unknown;
  meanRecoveryMs?: unknown;
  recovered?: unknown;
  availabilityPercent?: unknown;
}

const num = (value: unknown) => (typeof value === 'number' && Number.isFinite(value) ? value : undefined);

/** cookiemonster's report (`report.json`, version 1), summarized. */
export function summarizeChaos(report: unknown, source: string): ChaosSummary {
  const r = report as {
    version?: unknown;
    verdict?: { passed?: unknown; reasons?: unknown };
    workloads?: unknown;
  };
  if (typeof r !== 'object' || r === null || r.version !== 1 || !Array.isArray(r.workloads) || !r.verdict)
    throw new UserError(
      `${source}: not a cookiemonster report (expected version 1 with verdict and workloads; the 'report' output of cookiemonster)`,
    );
  const workloads = (r.workloads as ReportWorkload[])
    .filter((w) => typeof w?.workload === 'string')
    .map((w): ChaosWorkloadSummary => {
      const max = num(w.maxRecoveryMs);
      const mean = num(w.meanRecoveryMs);
      const availability = num(w.availabilityPercent);
      return {
        workload: w.workload as string,
        kills: num(w.kills) ?? 0,
        ...(max !== undefined ? { maxRecoverySeconds: seconds(max) } : {}),
        ...(mean !== undefined ? { meanRecoverySeconds: seconds(mean) } : {}),
        recovered: w.recovered === true,
        ...(availability !== undefined ? { availabilityPercent: Math.round(availability * 10) / 10 } : {}),
      };
    })
    .sort((a, b) => a.workload.localeCompare(b.workload));
  const reasons = Array.isArray(r.verdict.reasons)
    ? r.verdict.reasons.filter((x) => typeof x === 'string')
    : [];
  return {
    passed: r.verdict.passed === true,
    kills: workloads.reduce((sum, w) => sum + w.kills, 0),
    workloads,
    reasons,
  };
}

export async function readChaosSummary(file: string): Promise<ChaosSummary> {
  let parsed: unknown;
  try {
    parsed = JSON.parse(await readFile(file, 'utf8'));
  } catch (err) {
    throw new UserError(`${file}: not a cookiemonster JSON report (${(err as Error).message})`);
  }
  return summarizeChaos(parsed, file);
}
