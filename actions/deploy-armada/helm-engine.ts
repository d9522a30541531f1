/**
 * The helm engine: Armada's deployment semantics on Helm 3. Chart groups run in manifest order; a
 * sequenced group one chart after another, any other group with at most `concurrency` charts at
 * once. A chart is `helm upgrade --install`ed with its merged values (a 0600 file), waited for by
 * helm (`--wait`, when wait.native is on) and by its labels, then tested when test is enabled. The
 * first group with a failure is the last one run. A release found failed or pending is purged and
 * installed again — unless it is protected: protected releases are never deleted (they are
 * skipped with continue_processing, or stop the deployment).
 */
import { mkdirSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import pLimit from 'p-limit';
import { stringify } from 'yaml';
import { HelmError, type HelmClient, type ReleaseDetail } from '../lib/helm/index.js';
import type { DeploymentModel, PlannedChart, PlannedGroup } from '../lib/armada/index.js';
import type { ClusterOps } from './cluster.js';
import type { DeploymentReport, ReleaseResult } from './report.js';

export interface HelmEngineOptions {
  helm: HelmClient;
  cluster: ClusterOps;
  /** Returns the chart directory helm installs (sources fetched, dependencies packaged). */
  prepareChart(chart: PlannedChart): Promise<string>;
  /** Where the per-release values files are written (0600). */
  valuesDir: string;
  concurrency: number;
  /** Absolute time (ms since epoch) by which everything must be done. */
  deadline?: number;
  signal?: AbortSignal;
  log(line: string): void;
  now?: () => number;
}

const BROKEN_STATES = new Set([
  'failed',
  'pending-install',
  'pending-upgrade',
  'pending-rollback',
  'uninstalling',
  'unknown',
]);

class ChartFailure extends Error {
  constructor(
    message: string,
    readonly outcome: 'failed' | 'timeout' | 'cancelled' = 'failed',
  ) {
    super(message);
  }
}

export class HelmEngine {
  private readonly now: () => number;

  constructor(private readonly options: HelmEngineOptions) {
    this.now = options.now ?? Date.now;
  }

  private remainingMs(): number {
    return this.options.deadline === undefined
      ? Number.POSITIVE_INFINITY
      : this.options.deadline - this.now();
  }

  /** A chart's own timeout, cut to what is left of the deployment's deadline. */
  private budget(seconds: number, what: string): number {
    const remaining = this.remainingMs();
    if (remaining <= 0)
      throw new ChartFailure(`${what}: the deployment's timeout ran out before it started`, 'timeout');
    return Math.min(seconds * 1000, remaining);
  }

  async apply(model: DeploymentModel): Promise<DeploymentReport> {
    // A helm the profile does not allow is one configuration error, not a failure of every chart.
    await this.options.helm.checkVersion();
    const report: DeploymentReport = { results: [] };
    for (const group of model.groups) {
      const results = await this.applyGroup(group);
      report.results.push(...results);
      if (
        results.some((r) => r.outcome === 'failed' || r.outcome === 'timeout' || r.outcome === 'cancelled')
      ) {
        report.failedGroup = group.name;
        const rest = model.groups.slice(model.groups.indexOf(group) + 1);
        for (const skipped of rest) {
          for (const chart of skipped.charts)
            report.results.push(this.notRun(chart, skipped, `not run: group ${group.name} failed`));
        }
        break;
      }
    }
    return report;
  }

  private notRun(chart: PlannedChart, group: PlannedGroup, message: string): ReleaseResult {
    return {
      release: chart.release,
      chart: chart.chartName,
      document: chart.document,
      namespace: chart.namespace,
      group: group.name,
      action: 'none',
      status: 'skipped',
      outcome: this.options.signal?.aborted ? 'cancelled' : 'skipped',
      durationMs: 0,
      message,
    };
  }

  private async applyGroup(group: PlannedGroup): Promise<ReleaseResult[]> {
    this.options.log(
      `Chart group ${group.name}: ${group.charts.length} chart(s), ${group.sequenced ? 'sequenced' : `parallel (up to ${this.options.concurrency} at once)`}`,
    );
    const results: ReleaseResult[] = [];
    if (group.sequenced) {
      let failed: string | undefined;
      for (const chart of group.charts) {
        if (failed || this.options.signal?.aborted) {
          results.push(
            this.notRun(
              chart,
              group,
              failed ? `not run: ${failed} failed earlier in this sequenced group` : 'not run: cancelled',
            ),
          );
          continue;
        }
        const result = await this.deployChart(chart, group);
        results.push(result);
        if (result.outcome !== 'deployed' && result.outcome !== 'protected') failed = chart.release;
      }
      return results;
    }
    const limit = pLimit(this.options.concurrency);
    let failed: string | undefined;
    const settled = await Promise.all(
      group.charts.map((chart) =>
        limit(async () => {
          if (failed || this.options.signal?.aborted) {
            return this.notRun(
              chart,
              group,
              failed ? `not started: ${failed} failed in this group` : 'not run: cancelled',
            );
          }
          const result = await this.deployChart(chart, group);
          if (result.outcome === 'failed' || result.outcome === 'timeout') failed ??= chart.release;
          return result;
        }),
      ),
    );
    results.push(...settled);
    return results;
  }

  private async deployChart(chart: PlannedChart, group: PlannedGroup): Promise<ReleaseResult> {
    const started = this.now();
    const finished = (result: ReleaseOutcome): ReleaseResult => ({
      release: chart.release,
      chart: chart.chartName,
      document: chart.document,
      namespace: chart.namespace,
      group: group.name,
      ...result,
      durationMs: this.now() - started,
    });
    let action: ReleaseResult['action'] = 'install';
    let detail: ReleaseDetail | undefined;
    try {
      const existing = await this.options.helm.status(chart.release, chart.namespace, {
        signal: this.options.signal,
      });
      if (existing && BROKEN_STATES.has(existing.status)) {
        if (chart.protected) return finished(this.leaveProtected(chart, chart.protected, existing));
        await this.purge(chart, existing.status);
        action = 'reinstall';
      } else if (existing) {
        action = 'upgrade';
        await this.deleteBeforeUpgrade(chart);
      }
      detail = await this.installAndWait(chart, action);
      const release = { action, revision: detail.revision, status: detail.status };
      if (!chart.test.enabled) return finished({ ...release, outcome: 'deployed', test: 'not run' });
      const failure = await this.testRelease(chart);
      return finished(
        failure === undefined
          ? { ...release, outcome: 'deployed', test: 'passed' }
          : { ...release, outcome: 'failed', test: 'failed', message: failure },
      );
    } catch (err) {
      return finished(await this.failedRelease(chart, err, action, detail?.revision));
    }
  }

  /** A protected release in trouble is never deleted; without continue_processing it fails the deployment. */
  private leaveProtected(
    chart: PlannedChart,
    protection: NonNullable<PlannedChart['protected']>,
    existing: ReleaseDetail,
  ): ReleaseOutcome {
    const message = protection.continueProcessing
      ? `protected release is ${existing.status}: left as it is (continue_processing), needs an operator`
      : `protected release is ${existing.status}: it is never deleted, and without continue_processing it stops the deployment`;
    this.options.log(`${chart.release}: ${message}`);
    return {
      action: 'none',
      revision: existing.revision,
      status: existing.status,
      outcome: protection.continueProcessing ? 'protected' : 'failed',
      message,
    };
  }

  private async purge(chart: PlannedChart, status: string): Promise<void> {
    this.options.log(
      `${chart.release}: release is ${status}; purging it before installing again (as Armada does)`,
    );
    await this.options.helm.uninstall(
      chart.release,
      chart.namespace,
      { timeoutMs: this.budget(chart.deleteTimeoutS, chart.release), wait: true },
      { signal: this.options.signal },
    );
  }

  /** Armada's upgrade.pre.delete: resources removed before an upgrade. */
  private async deleteBeforeUpgrade(chart: PlannedChart): Promise<void> {
    for (const hook of chart.upgrade.preDelete) {
      const deleted = await this.options.cluster.deleteResources({
        namespace: chart.namespace,
        type: hook.type,
        name: hook.name,
        labels: hook.labels ?? chart.wait.labels,
        signal: this.options.signal,
      });
      this.options.log(
        `${chart.release}: upgrade.pre.delete ${hook.type}${hook.name ? ` ${hook.name}` : ''}: ${deleted.length ? deleted.join(', ') : 'nothing to delete'}`,
      );
    }
  }

  /** `helm upgrade --install` with the values in a 0600 file, then the wait by labels in what is left of the timeout. */
  private async installAndWait(chart: PlannedChart, action: ReleaseResult['action']): Promise<ReleaseDetail> {
    const { helm, cluster, signal } = this.options;
    const chartDir = await this.options.prepareChart(chart);
    const valuesFile = this.writeValues(chart);
    const waitStarted = this.now();
    const timeoutMs = this.budget(chart.wait.timeoutS, chart.release);
    const upgrade = action === 'upgrade';
    this.options.log(
      `${chart.release}: helm ${upgrade ? 'upgrade' : 'install'} ${chart.chartName} into ${chart.namespace} (timeout ${Math.round(timeoutMs / 1000)}s)`,
    );
    const detail = await helm.upgradeInstall(
      {
        release: chart.release,
        chart: chartDir,
        namespace: chart.namespace,
        valuesFiles: [valuesFile],
        wait: chart.wait.native,
        timeoutMs,
        noHooks: upgrade ? chart.upgrade.noHooks : chart.install.noHooks,
        force: upgrade && chart.upgrade.force,
        createNamespace: true,
      },
      { signal },
    );
    const wait = await cluster.waitForReady({
      namespace: chart.namespace,
      labels: chart.wait.labels,
      resources: chart.wait.resources,
      timeoutMs: Math.max(1000, timeoutMs - (this.now() - waitStarted)),
      signal,
    });
    if (!wait.ready) {
      throw new ChartFailure(
        `not ready within ${chart.wait.timeoutS}s (labels ${Object.entries(chart.wait.labels)
          .map(([k, v]) => `${k}=${v}`)
          .join(',')}): ${wait.pending.slice(0, 5).join('; ')}`,
        'timeout',
      );
    }
    return detail;
  }

  private writeValues(chart: PlannedChart): string {
    const valuesFile = path.join(this.options.valuesDir, `${chart.namespace}.${chart.release}.yaml`);
    mkdirSync(this.options.valuesDir, { recursive: true, mode: 0o700 });
    writeFileSync(valuesFile, stringify(chart.values, { lineWidth: 0 }), { mode: 0o600 });
    return valuesFile;
  }

  /** `helm test`, then the test pods' cleanup; the failure message, or undefined when it passed. */
  private async testRelease(chart: PlannedChart): Promise<string | undefined> {
    const { signal } = this.options;
    const outcome = await this.options.helm.test(
      chart.release,
      chart.namespace,
      { timeoutMs: this.budget(chart.test.timeoutS, `${chart.release} test`), logs: true },
      { signal },
    );
    if (chart.test.cleanup) {
      // Helm 3 has no --cleanup: remove the test pods as Armada's test.options.cleanup asks.
      for (const suite of outcome.suites) {
        await this.options.cluster.deleteResources({
          namespace: chart.namespace,
          type: 'pod',
          name: suite.name,
          labels: chart.wait.labels,
          signal,
        });
      }
    }
    if (outcome.passed) return undefined;
    const failedSuites = outcome.suites.filter((s) => s.phase !== 'Succeeded').map((s) => s.name);
    return `helm test failed: ${failedSuites.join(', ') || outcome.failure || 'a test pod failed'}`;
  }

  /** The outcome of a chart that threw, with the release's status as helm sees it afterwards. */
  private async failedRelease(
    chart: PlannedChart,
    err: unknown,
    action: ReleaseResult['action'],
    revisionBefore: number | undefined,
  ): Promise<ReleaseOutcome> {
    const outcome = failureOutcome(err);
    let status: string = outcome;
    let revision = revisionBefore;
    try {
      const after = await this.options.helm.status(chart.release, chart.namespace);
      if (after) [status, revision] = [after.status, after.revision];
    } catch {
      // the status is only extra information
    }
    return { action, revision, status, outcome, message: (err as Error).message };
  }
}

/** What one chart's deployment decides; the engine adds the chart's names and the duration. */
type ReleaseOutcome = Omit<
  ReleaseResult,
  'release' | 'chart' | 'document' | 'namespace' | 'group' | 'durationMs'
>;

function failureOutcome(err: unknown): ReleaseResult['outcome'] {
  if (err instanceof ChartFailure) return err.outcome;
  if (err instanceof HelmError) {
    if (err.details.cancelled) return 'cancelled';
    if (err.details.timedOut) return 'timeout';
  }
  return 'failed';
}
