/**
 * An in-process fake of Helm 3 (and of the bits of the cluster a deployment looks at), for tests of
 * the engines that drive it. It keeps releases with revisions and statuses like helm's storage
 * does, and can be told, per release, to fail, to hang until the call's timeout, to fail its tests
 * or to take a while. It records every call and the highest number of upgrades in flight at once.
 */
import {
  HelmError,
  type CallOptions,
  type HelmClient,
  type HistoryEntry,
  type ListOptions,
  type ReleaseDetail,
  type ReleaseStatus,
  type ReleaseSummary,
  type TestOptions,
  type TestRunResult,
  type UninstallOptions,
  type UpgradeInstallRequest,
} from '../../actions/lib/helm/index.js';

export interface FakeRevision {
  revision: number;
  status: ReleaseStatus;
  chart: string;
  description: string;
  updated: string;
  /** The values files' contents at the time of the call (helm reads them when it runs). */
  values: string[];
  request: UpgradeInstallRequest;
}

export interface FakeCall {
  op: 'upgrade' | 'status' | 'list' | 'test' | 'uninstall' | 'history';
  release?: string;
  namespace?: string;
  /** Order in which calls started and finished (a shared clock). */
  startedAt: number;
  finishedAt?: number;
}

export interface FakeBehaviour {
  /** The install/upgrade fails with this message. */
  fail?: string;
  /** The install/upgrade never gets ready: it fails when its timeout runs out (or on cancel). */
  hang?: boolean;
  /** The release's test pod fails. */
  failTest?: boolean;
  /** Milliseconds the install/upgrade takes. */
  delayMs?: number;
}

/** A pod as a diagnosis would see it. */
export interface FakePod {
  name: string;
  namespace: string;
  labels: Record<string, string>;
  ready: boolean;
  phase: string;
  containers: { name: string; restartCount: number; waitingReason?: string; log?: string }[];
}

export interface FakeEvent {
  namespace: string;
  involvedObject: string;
  type: 'Normal' | 'Warning';
  reason: string;
  message: string;
}

export class FakeHelm implements HelmClient {
  readonly releases = new Map<string, FakeRevision[]>();
  readonly calls: FakeCall[] = [];
  readonly behaviours = new Map<string, FakeBehaviour>();
  readonly pods: FakePod[] = [];
  readonly events: FakeEvent[] = [];
  maxConcurrentUpgrades = 0;
  private inFlight = 0;
  private clock = 0;

  /** Sets how the release (full release name) behaves. */
  behave(release: string, behaviour: FakeBehaviour): this {
    this.behaviours.set(release, { ...this.behaviours.get(release), ...behaviour });
    return this;
  }

  /** Seeds an existing deployed release (e.g. from an earlier night). */
  seed(release: string, namespace: string, chart: string, revisions = 1): this {
    const list: FakeRevision[] = [];
    for (let i = 1; i <= revisions; i++) {
      list.push({
        revision: i,
        status: i === revisions ? 'deployed' : 'superseded',
        chart,
        description: i === 1 ? 'Install complete' : 'Upgrade complete',
        updated: new Date(Date.UTC(2026, 10, 20 + i)).toISOString(),
        values: [],
        request: { release, chart, namespace, valuesFiles: [], wait: true, timeoutMs: 1000 },
      });
    }
    this.releases.set(key(release, namespace), list);
    return this;
  }

  /** Names of the releases an operation was called for, in call order. */
  callsOf(op: FakeCall['op']): string[] {
    return this.calls.filter((c) => c.op === op).map((c) => c.release ?? '');
  }

  private begin(op: FakeCall['op'], release?: string, namespace?: string): FakeCall {
    const call: FakeCall = { op, release, namespace, startedAt: ++this.clock };
    this.calls.push(call);
    return call;
  }

  private end(call: FakeCall): void {
    call.finishedAt = ++this.clock;
  }

  async upgradeInstall(request: UpgradeInstallRequest, options: CallOptions = {}): Promise<ReleaseDetail> {
    const call = this.begin('upgrade', request.release, request.namespace);
    this.inFlight++;
    this.maxConcurrentUpgrades = Math.max(this.maxConcurrentUpgrades, this.inFlight);
    try {
      const { readFile } = await import('node:fs/promises');
      const values = await Promise.all(request.valuesFiles.map((file) => readFile(file, 'utf8')));
      const behaviour = this.behaviours.get(request.release) ?? {};
      const revisions = this.releases.get(key(request.release, request.namespace)) ?? [];
      const previous = revisions.at(-1);
      const revision: FakeRevision = {
        revision: (previous?.revision ?? 0) + 1,
        status: previous ? 'pending-upgrade' : 'pending-install',
        chart: chartLabel(request.chart),
        description: previous ? 'Preparing upgrade' : 'Initial install underway',
        updated: new Date().toISOString(),
        values,
        request,
      };
      revisions.push(revision);
      this.releases.set(key(request.release, request.namespace), revisions);
      if (behaviour.hang) {
        const outcome = await waitFor(request.timeoutMs, options.signal);
        revision.status = 'failed';
        revision.description = `Release "${request.release}" failed: context deadline exceeded`;
        throw new HelmError(
          outcome === 'cancelled'
            ? `helm upgrade --install ${request.release} was cancelled`
            : `helm upgrade --install ${request.release}: Error: ${previous ? 'UPGRADE' : 'INSTALLATION'} FAILED: context deadline exceeded`,
          { timedOut: outcome === 'timeout', cancelled: outcome === 'cancelled', exitCode: 1 },
        );
      }
      if (behaviour.delayMs) await waitFor(behaviour.delayMs, options.signal);
      if (behaviour.fail) {
        revision.status = 'failed';
        revision.description = `Release "${request.release}" failed: ${behaviour.fail}`;
        throw new HelmError(
          `helm upgrade --install ${request.release}: Error: ${previous ? 'UPGRADE' : 'INSTALLATION'} FAILED: ${behaviour.fail}`,
          {
            exitCode: 1,
          },
        );
      }
      if (previous && previous.status === 'deployed') previous.status = 'superseded';
      revision.status = 'deployed';
      revision.description = previous ? 'Upgrade complete' : 'Install complete';
      return this.detail(request.release, request.namespace)!;
    } finally {
      this.inFlight--;
      this.end(call);
    }
  }

  private detail(release: string, namespace: string): ReleaseDetail | undefined {
    const current = this.releases.get(key(release, namespace))?.at(-1);
    if (!current) return undefined;
    const [chartName, chartVersion] = splitChart(current.chart);
    return {
      name: release,
      namespace,
      revision: current.revision,
      status: current.status,
      description: current.description,
      lastDeployed: current.updated,
      chartName,
      chartVersion,
      tests: [],
    };
  }

  async status(release: string, namespace: string): Promise<ReleaseDetail | undefined> {
    const call = this.begin('status', release, namespace);
    this.end(call);
    const current = this.releases.get(key(release, namespace))?.at(-1);
    if (!current || current.status === 'uninstalled') return undefined;
    return this.detail(release, namespace);
  }

  async list(options: ListOptions = {}): Promise<ReleaseSummary[]> {
    const call = this.begin('list');
    this.end(call);
    const rows: ReleaseSummary[] = [];
    for (const [k, revisions] of this.releases) {
      const [namespace, name] = k.split('/');
      const current = revisions.at(-1)!;
      if (!options.allNamespaces && options.namespace && options.namespace !== namespace) continue;
      if (!options.all && current.status !== 'deployed' && current.status !== 'failed') continue;
      if (options.filter && !new RegExp(options.filter).test(name)) continue;
      rows.push({
        name,
        namespace,
        revision: current.revision,
        updated: current.updated,
        status: current.status,
        chart: current.chart,
        appVersion: '',
      });
    }
    return rows.sort((a, b) => a.name.localeCompare(b.name));
  }

  async test(release: string, namespace: string, _options: TestOptions): Promise<TestRunResult> {
    const call = this.begin('test', release, namespace);
    this.end(call);
    if (!this.releases.get(key(release, namespace)))
      throw new HelmError(`helm test ${release}: Error: release: not found`, { exitCode: 1 });
    const failed = this.behaviours.get(release)?.failTest === true;
    const name = `${release.replace(/^[^-]+-/, '')}-test`;
    return {
      release,
      passed: !failed,
      suites: [{ name, phase: failed ? 'Failed' : 'Succeeded' }],
      failure: failed ? `Error: 1 error occurred:\n\t* pod ${name} failed` : undefined,
    };
  }

  async uninstall(release: string, namespace: string, options: UninstallOptions = {}): Promise<void> {
    const call = this.begin('uninstall', release, namespace);
    this.end(call);
    const revisions = this.releases.get(key(release, namespace));
    if (!revisions)
      throw new HelmError(
        `helm uninstall ${release}: Error: uninstall: Release not loaded: ${release}: release: not found`,
        { exitCode: 1 },
      );
    if (options.keepHistory) revisions.at(-1)!.status = 'uninstalled';
    else this.releases.delete(key(release, namespace));
  }

  async history(release: string, namespace: string, max?: number): Promise<HistoryEntry[]> {
    const call = this.begin('history', release, namespace);
    this.end(call);
    const revisions = this.releases.get(key(release, namespace)) ?? [];
    return revisions.slice(max ? -max : 0).map((r) => ({
      revision: r.revision,
      updated: r.updated,
      status: r.status,
      chart: r.chart,
      appVersion: '',
      description: r.description,
    }));
  }
}

function key(release: string, namespace: string): string {
  return `${namespace}/${release}`;
}

function chartLabel(chart: string): string {
  const base = chart.replace(/\/+$/, '').split('/').at(-1) ?? chart;
  return /-\d+\.\d+\.\d+/.test(base) ? base.replace(/\.tgz$/, '') : `${base}-0.1.0`;
}

function splitChart(label: string): [string, string] {
  const at = label.search(/-\d+\.\d+\.\d+/);
  return at < 0 ? [label, ''] : [label.slice(0, at), label.slice(at + 1)];
}

function waitFor(ms: number, signal?: AbortSignal): Promise<'timeout' | 'cancelled'> {
  return new Promise((resolve) => {
    if (signal?.aborted) return resolve('cancelled');
    const timer = setTimeout(() => {
      signal?.removeEventListener('abort', onAbort);
      resolve('timeout');
    }, ms);
    const onAbort = () => {
      clearTimeout(timer);
      resolve('cancelled');
    };
    signal?.addEventListener('abort', onAbort, { once: true });
  });
}

/**
 * The cluster side of the fake, for deploy-armada's engine: label waits answer from `unready`
 * (label selectors that never get ready), deletions are recorded, and a diagnosis reports the
 * pods and events the test put in the FakeHelm.
 */
export class FakeCluster {
  /** `key=value` selectors whose resources never become ready. */
  readonly unready = new Set<string>();
  readonly deletions: { namespace: string; type: string; name?: string; labels?: Record<string, string> }[] =
    [];
  readonly waits: { namespace: string; labels: Record<string, string> }[] = [];

  constructor(private readonly helm: FakeHelm) {}

  async waitForReady(request: {
    namespace: string;
    labels: Record<string, string>;
    timeoutMs: number;
    signal?: AbortSignal;
  }) {
    this.waits.push({ namespace: request.namespace, labels: request.labels });
    const selector = Object.entries(request.labels)
      .map(([k, v]) => `${k}=${v}`)
      .join(',');
    if (!this.unready.has(selector)) return { ready: true, pending: [] };
    await waitFor(request.timeoutMs, request.signal);
    return { ready: false, pending: [`pod ${selector.split('=')[1]}-0: Running, not Ready`] };
  }

  async deleteResources(request: {
    namespace: string;
    type: string;
    name?: string;
    labels?: Record<string, string>;
  }) {
    this.deletions.push({
      namespace: request.namespace,
      type: request.type,
      name: request.name,
      labels: request.labels,
    });
    return [`${request.type}/${request.name ?? 'matching'}`];
  }

  async diagnose(namespace: string, labels: Record<string, string>, logLines: number) {
    const matches = (pod: FakePod) =>
      pod.namespace === namespace && Object.entries(labels).every(([k, v]) => pod.labels[k] === v);
    const pods = this.helm.pods.filter((p) => matches(p) && !p.ready);
    return {
      pods: pods.map((p) => ({
        name: p.name,
        phase: p.phase,
        ready: p.ready,
        containers: p.containers.map((c) => ({
          name: c.name,
          ready: false,
          restartCount: c.restartCount,
          state: c.waitingReason ? `waiting: ${c.waitingReason}` : 'running',
        })),
      })),
      events: this.helm.events
        .filter((e) => e.namespace === namespace && pods.some((p) => e.involvedObject === `pod/${p.name}`))
        .map((e) => ({ object: e.involvedObject, type: e.type, reason: e.reason, message: e.message })),
      logs: pods.flatMap((p) =>
        p.containers
          .filter((c) => c.restartCount > 0 && c.log !== undefined)
          .map((c) => ({
            pod: p.name,
            container: c.name,
            previous: true,
            text: c.log!.split('\n').slice(-logLines).join('\n'),
          })),
      ),
      errors: [],
    };
  }
}
