/** One line of the artifact ledger: a nightly run or a promotion, and exactly what it involved. */
export interface HistoryEntry {
  /** Format version of the line. */
  schema: 1;
  /** `promotion`, `nightly`, … (what wrote it). */
  kind: string;
  /** ISO 8601 time the entry was written. */
  time: string;
  /** `complete`, `partial` (a promotion that failed midway), `failed`, … */
  status: string;
  /** The profile (environment) a nightly ran on; absent in older lines. */
  profile?: string;
  /** The candidate tag or label (`nightly-20261124`). */
  candidate: string;
  /** The release version, for promotions. */
  version?: string;
  images: HistoryImage[];
  /** Charts of the release (promotions with charts), by digest. */
  charts?: HistoryChart[];
  /** The release artifact `<registry>/taco-release:<version>` that names everything released. */
  release?: { ref: string; digest: string };
  /** A nightly's verdict per stage: what was run and tested, and what was not. */
  stages?: StageVerdicts;
  /** Source commits the artifacts were built from / the release was tagged at. */
  commits?: HistoryCommit[];
  /** Link to the workflow run that wrote the entry. */
  runUrl?: string;
  /** Nightlies: what Tempest reported, compactly (no tracebacks). */
  tempest?: TempestSummary;
  /** Nightlies: what cookiemonster reported, per workload. */
  chaos?: ChaosSummary;
  /** Anything else the writer wants audited (kept as is). */
  details?: Record<string, unknown>;
}

/** The stages of a nightly run, in pipeline order. */
export const STAGES = ['deploy', 'tempest', 'chaos'] as const;
export type Stage = (typeof STAGES)[number];
export type StageVerdict = 'passed' | 'failed' | 'skipped';
export const STAGE_VERDICTS: readonly StageVerdict[] = ['passed', 'failed', 'skipped'];
export type StageVerdicts = Record<Stage, StageVerdict>;

/** A night's Tempest results in a few hundred bytes: counts, the ids that failed, how long it took. */
export interface TempestSummary {
  passed: number;
  failed: number;
  skipped: number;
  /** Wall time of the run (first to last packet), when the stream has timestamps. */
  durationSeconds?: number;
  /** Ids of the tests that ended failing, sorted; at most TEMPEST_FAILURES_KEPT. */
  failures: string[];
  /** Failures beyond the ones listed. */
  moreFailures?: number;
  /** Ids that failed, then passed when run again, sorted. */
  flaky?: string[];
}

/** A night's resiliency run: kills and recovery per workload, and the verdict's reasons. */
export interface ChaosSummary {
  passed: boolean;
  kills: number;
  workloads: ChaosWorkloadSummary[];
  /** Why it failed (cookiemonster's verdict), empty when it passed. */
  reasons: string[];
}

export interface ChaosWorkloadSummary {
  /** `Deployment openstack/keystone-api` */
  workload: string;
  kills: number;
  maxRecoverySeconds?: number;
  meanRecoverySeconds?: number;
  recovered: boolean;
  availabilityPercent?: number;
}

export interface HistoryImage {
  name: string;
  /** Full reference, `host/repo:tag`. */
  ref: string;
  digest: string;
  /** Where it was promoted from, for promotions. */
  source?: string;
  /** Test results the artifact passed (e.g. kolla-bats' per-image counts), as the producer reported them. */
  tests?: unknown;
}

export interface HistoryChart {
  name: string;
  /** The packaged Chart.yaml version. */
  version: string;
  /** `host/<ns>/charts/<name>:<tag>` */
  ref: string;
  /** The chart's OCI manifest digest. */
  digest: string;
  /** The .tgz layer's digest. */
  contentDigest?: string;
  /** The candidate chart it was promoted from. */
  source?: string;
}

export interface HistoryCommit {
  repository: string;
  commit: string;
  tag?: string;
}

/** Checks one parsed line; returns what is wrong with it, or undefined. */
export function entryProblem(value: unknown): string | undefined {
  if (typeof value !== 'object' || value === null || Array.isArray(value)) return 'expected a JSON object';
  const entry = value as Partial<HistoryEntry>;
  if (entry.schema !== 1) return `expected "schema": 1, got ${JSON.stringify(entry.schema)}`;
  for (const key of ['kind', 'time', 'status', 'candidate'] as const) {
    if (typeof entry[key] !== 'string' || entry[key] === '')
      return `expected "${key}" to be a non-empty string`;
  }
  if (!Array.isArray(entry.images)) return 'expected "images" to be a list';
  for (const [i, image] of entry.images.entries()) {
    if (
      typeof image?.name !== 'string' ||
      typeof image.ref !== 'string' ||
      typeof image.digest !== 'string'
    ) {
      return `images[${i}]: expected {name, ref, digest} strings`;
    }
  }
  if (entry.charts !== undefined) {
    if (!Array.isArray(entry.charts)) return 'expected "charts" to be a list';
    for (const [i, chart] of entry.charts.entries()) {
      if (
        typeof chart?.name !== 'string' ||
        typeof chart.version !== 'string' ||
        typeof chart.ref !== 'string' ||
        typeof chart.digest !== 'string'
      )
        return `charts[${i}]: expected {name, version, ref, digest} strings`;
    }
  }
  if (
    entry.release !== undefined &&
    (typeof entry.release?.ref !== 'string' || typeof entry.release.digest !== 'string')
  )
    return 'expected "release" to be {ref, digest} strings';
  return stagesProblem(entry.stages);
}

function stagesProblem(stages: unknown): string | undefined {
  if (stages === undefined) return undefined;
  if (typeof stages !== 'object' || stages === null || Array.isArray(stages))
    return `expected "stages" to be {${STAGES.join(', ')}}`;
  for (const stage of STAGES) {
    const verdict = (stages as Record<string, unknown>)[stage];
    if (!STAGE_VERDICTS.includes(verdict as StageVerdict))
      return `stages.${stage}: expected ${STAGE_VERDICTS.join(', ')}, got ${JSON.stringify(verdict)}`;
  }
  return undefined;
}
