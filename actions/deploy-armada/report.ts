import type { DeploymentModel } from '../lib/armada/index.js';
import { JobFailure } from '../lib/errors.js';
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

/** The report of a dry run: every release of the model, planned. */
export function plannedReport(model: DeploymentModel): DeploymentReport {
  return {
    results: model.groups.flatMap((group) =>
      group.charts.map((chart) => ({
        release: chart.release,
        chart: chart.chartName,
        document: chart.document,
        namespace: chart.namespace,
        group: group.name,
        action: 'none' as const,
        status: 'planned',
        outcome: 'planned' as const,
        durationMs: 0,
      })),
    ),
  };
}

/** The verdict on a finished deployment: a failed or cancelled release fails the job. */
export function requireDeployed(report: DeploymentReport): void {
  const failed = failures(report);
  if (failed.length) {
    throw new JobFailure(
      `Deployment failed${report.failedGroup ? ` in chart group ${report.failedGroup}` : ''}: ${failed.map((r) => `${r.release} (${r.message ?? r.outcome})`).join('; ')}`,
    );
  }
  const cancelled = report.results.filter((r) => r.outcome === 'cancelled');
  if (cancelled.length)
    throw new JobFailure(`Deployment cancelled: ${cancelled.length} release(s) not deployed`);
}
