/**
 * What happened to each release; shared by both engines, the outputs and the job summary.
 * `protected`: a protected release found broken and left alone (continue_processing); without
 * continue_processing that is `failed`.
 */
export type ReleaseOutcome =
  'planned' | 'deployed' | 'failed' | 'timeout' | 'skipped' | 'protected' | 'cancelled';

export interface ReleaseResult {
  release: string;
  chart: string;
  /** metadata.name of the Chart document. */
  document: string;
  namespace: string;
  group: string;
  /** install, upgrade, reinstall (a failed release purged first), or none. */
  action: 'install' | 'upgrade' | 'reinstall' | 'none';
  revision?: number;
  /** Helm's release status (deployed, failed, …) or, when helm was not reached, the outcome. */
  status: string;
  outcome: ReleaseOutcome;
  durationMs: number;
  test?: 'passed' | 'failed' | 'not run';
  message?: string;
}

export interface DeploymentReport {
  results: ReleaseResult[];
  /** The group whose failure stopped the deployment. */
  failedGroup?: string;
}

export function failures(report: DeploymentReport): ReleaseResult[] {
  return report.results.filter((r) => r.outcome === 'failed' || r.outcome === 'timeout');
}

/** The `releases` output: one object per release. */
export function releasesOutput(report: DeploymentReport): object[] {
  return report.results.map((r) => ({
    release: r.release,
    chart: r.chart,
    namespace: r.namespace,
    revision: r.revision ?? null,
    status: r.status,
    duration: Math.round(r.durationMs) / 1000,
    ...(r.test ? { test: r.test } : {}),
  }));
}
