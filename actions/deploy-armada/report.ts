import { pinnedReleaseRef } from './release-view.js';

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

/** What a deployment from a release artifact adds to each entry of the `releases` output. */
export interface ReleaseArtifactInfo {
  ref: string;
  digest: string;
  charts: { name: string; version: string; digest: string; documents: string[] }[];
}

/** The `releases` output: one object per release (with the release artifact and chart digest when deploying one). */
export function releasesOutput(report: DeploymentReport, artifact?: ReleaseArtifactInfo): object[] {
  return report.results.map((r) => ({
    release: r.release,
    chart: r.chart,
    namespace: r.namespace,
    revision: r.revision ?? null,
    status: r.status,
    duration: Math.round(r.durationMs) / 1000,
    ...(r.test ? { test: r.test } : {}),
    ...(artifact ? fromArtifact(r, artifact) : {}),
  }));
}

function fromArtifact(result: ReleaseResult, artifact: ReleaseArtifactInfo): object {
  const chart = artifact.charts.find((c) => c.documents.includes(result.document));
  return {
    artifact: pinnedReleaseRef(artifact),
    ...(chart ? { chartVersion: chart.version, chartDigest: chart.digest } : {}),
  };
}
