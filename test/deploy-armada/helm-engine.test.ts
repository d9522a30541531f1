/**
 * deploy-armada's helm engine with the real helm (HelmCli) and the real KubeCluster, both against
 * the fake Kubernetes API. Failures are real ones: pods that never get ready (helm's --wait or
 * Armada's label wait times out), objects the API server refuses, test pods that fail, a helm killed
 * mid-upgrade. Order and concurrency are read from the helm processes themselves.
 */
import { spawn } from 'node:child_process';
import { once } from 'node:events';
import { mkdirSync, readFileSync, statSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { loadManifest } from '../../actions/lib/armada/index.js';
import { KubeCluster } from '../../actions/deploy-armada/cluster.js';
import { collectDiagnostics, diagnosticsMarkdown } from '../../actions/deploy-armada/diagnostics.js';
import { HelmEngine } from '../../actions/deploy-armada/helm-engine.js';
import { failures } from '../../actions/deploy-armada/report.js';
import { createKubeClient } from '../../actions/lib/kube/client.js';
import type { PodOutcome } from '../fakes/armada-kube-api.js';
import type { Json } from '../fakes/kube-resources.js';
import { defaultHelmMajor } from '../support/helm.js';
import { recordHelmCalls, startHelmCluster, type HelmCluster } from '../support/helm-cluster.js';
import { chartDoc, groupDoc, HELM_TOOLKIT, manifestDoc, writeFile } from './support.js';

const MANIFEST = [
  HELM_TOOLKIT,
  chartDoc({
    name: 'mariadb',
    data: {
      test: false,
      protected: { continue_processing: false },
      values: { endpoints: { oslo_db: { auth: { admin: { password: 's3cret' } } } } },
    },
  }),
  chartDoc({ name: 'rabbitmq', data: { test: false } }),
  chartDoc({ name: 'memcached', data: { test: false } }),
  chartDoc({ name: 'ingress', data: { test: false } }),
  chartDoc({
    name: 'keystone',
    data: {
      test: { enabled: true, timeout: 60 },
      upgrade: { no_hooks: false, pre: { delete: [{ type: 'job', labels: { application: 'keystone' } }] } },
    },
  }),
  chartDoc({ name: 'glance', data: { test: { enabled: true } } }),
  chartDoc({ name: 'nova', data: { test: false } }),
  chartDoc({ name: 'neutron', data: { test: false } }),
  groupDoc('infra', ['mariadb', 'rabbitmq', 'memcached', 'ingress'], false),
  groupDoc('identity-image', ['keystone', 'glance'], true),
  groupDoc('compute', ['nova', 'neutron'], false),
  manifestDoc('armada-manifest', ['infra', 'identity-image', 'compute']),
].join('');

const CHARTS = ['mariadb', 'rabbitmq', 'memcached', 'ingress', 'keystone', 'glance', 'nova', 'neutron'];
const INFRA = ['osh-mariadb', 'osh-rabbitmq', 'osh-memcached', 'osh-ingress'];

interface ChartOptions {
  /** A long-running pod `<release>-server` labelled with the release group (helm's --wait waits for it). */
  server?: boolean;
  /** A ConfigMap name the API server refuses (not an RFC 1123 name). */
  invalid?: boolean;
}

/**
 * A chart as the engine installs it: a ConfigMap with the values helm got, optionally a server pod,
 * and for keystone and glance a `helm test` pod `<chart>-test`.
 */
function writeChart(parent: string, name: string, options: ChartOptions = {}): string {
  const dir = path.join(parent, name);
  mkdirSync(path.join(dir, 'templates'), { recursive: true });
  writeFileSync(path.join(dir, 'Chart.yaml'), `apiVersion: v2\nname: ${name}\nversion: 0.1.0\n`);
  const labels = '  labels: {release_group: {{ .Release.Name }}}\n';
  writeFileSync(
    path.join(dir, 'templates', 'configmap.yaml'),
    `apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: {{ .Release.Name }}-${options.invalid ? 'Etc' : 'etc'}\n${labels}` +
      'data:\n  values.yaml: {{ toYaml .Values | quote }}\n',
  );
  const pod = (podName: string, extra: string, container: string) =>
    `apiVersion: v1\nkind: Pod\nmetadata:\n  name: ${podName}\n${labels}${extra}` +
    `spec:\n${container === 'test' ? '  restartPolicy: Never\n' : ''}  containers: [{name: ${container}, image: "registry.example/${name}:1"}]\n`;
  if (options.server)
    writeFileSync(
      path.join(dir, 'templates', 'server.yaml'),
      pod('{{ .Release.Name }}-server', '', 'server'),
    );
  if (name === 'keystone' || name === 'glance')
    writeFileSync(
      path.join(dir, 'templates', 'test.yaml'),
      pod(`${name}-test`, '  annotations: {helm.sh/hook: test}\n', 'test'),
    );
  return dir;
}

const clusters: HelmCluster[] = [];
afterEach(async () => {
  await Promise.all(clusters.splice(0).map((c) => c.close()));
});

interface SetupOptions {
  major?: 3 | 4;
  concurrency?: number;
  timeoutS?: number;
  deadlineMs?: number;
  /** Charts that get a server pod. */
  servers?: string[];
  signal?: AbortSignal;
}

async function setup(options: SetupOptions = {}) {
  const cluster = await startHelmCluster(options.major ?? defaultHelmMajor());
  clusters.push(cluster);
  const { dir, api } = cluster;
  const text = options.timeoutS
    ? MANIFEST.replaceAll('timeout: 60\n    labels', `timeout: ${options.timeoutS}\n    labels`)
    : MANIFEST;
  const { model } = loadManifest({ files: [writeFile(dir, 'manifest.yaml', text)] });
  const charts = path.join(dir, 'charts');
  for (const name of CHARTS) writeChart(charts, name, { server: options.servers?.includes(name) });
  const recorder = recordHelmCalls();
  const helm = cluster.client({ runner: recorder.runner });
  const kube = new KubeCluster(createKubeClient({ kubeconfig: api.kubeconfig(), env: {} }), 50);
  const log: string[] = [];
  const engine = new HelmEngine({
    helm,
    cluster: kube,
    prepareChart: async (chart) => path.join(charts, chart.chartName),
    valuesDir: path.join(dir, 'values'),
    concurrency: options.concurrency ?? 2,
    deadline: options.deadlineMs === undefined ? undefined : Date.now() + options.deadlineMs,
    signal: options.signal,
    log: (line) => log.push(line),
  });
  /** The pods of these release groups never get ready. */
  const hang = (...releases: string[]) => {
    const before = api.podOutcome;
    api.podOutcome = (pod: Json): PodOutcome =>
      releases.includes(pod.metadata.labels?.release_group) ? 'Pending' : before(pod);
  };
  /** Installs a release with a chart of its own before the engine runs (an earlier night). */
  const seed = (release: string, chart: string, chartOptions: ChartOptions = {}) =>
    cluster
      .client()
      .upgradeInstall({
        release,
        chart: writeChart(path.join(dir, 'seed'), chart, chartOptions),
        namespace: 'openstack',
        valuesFiles: [],
        wait: true,
        timeoutMs: 30_000,
        createNamespace: true,
      })
      .catch((err: unknown) => err);
  return { dir, api, cluster, model, helm, kube, engine, recorder, log, hang, seed };
}

/** Kills helm (SIGKILL) in the middle of an upgrade: the release stays `pending-upgrade`. */
async function killMidUpgrade(cluster: HelmCluster, release: string, chart: string): Promise<void> {
  const { api } = cluster;
  const before = api.podOutcome;
  api.podOutcome = () => 'Pending';
  const dir = writeChart(path.join(cluster.dir, 'stuck'), chart, { server: true });
  const helm = spawn(
    cluster.helm.helm,
    ['upgrade', release, dir, '--namespace', 'openstack', '--wait', '--timeout', '60s'],
    { env: { ...cluster.env, KUBECONFIG: cluster.kubeconfig }, stdio: 'ignore' },
  );
  const pending = () =>
    api
      .list('secrets', 'openstack')
      .some((s) => s.metadata.labels?.name === release && s.metadata.labels?.status === 'pending-upgrade');
  while (!pending()) await new Promise((resolve) => setTimeout(resolve, 20));
  helm.kill('SIGKILL');
  await once(helm, 'exit');
  api.podOutcome = before;
}

function upgradeArgv(recorder: ReturnType<typeof recordHelmCalls>, release: string): string[] {
  return recorder.calls.find((c) => c.argv[0] === 'upgrade' && c.argv[1] === release)!.argv;
}

describe(`helm engine with the real Helm ${defaultHelmMajor()} on the fake Kubernetes API`, () => {
  it('deploys every group in order: sequenced one by one, parallel with bounded concurrency', async () => {
    const s = await setup({ concurrency: 2, servers: ['mariadb', 'rabbitmq', 'memcached', 'ingress'] });
    // The infra servers take a while to get ready, so their upgrades overlap for certain.
    s.api.podDelayMs = 1000;
    const report = await s.engine.apply(s.model);
    expect(failures(report)).toEqual([]);
    expect(report.results.map((r) => [r.release, r.outcome, r.action, r.revision])).toEqual([
      ['osh-mariadb', 'deployed', 'install', 1],
      ['osh-rabbitmq', 'deployed', 'install', 1],
      ['osh-memcached', 'deployed', 'install', 1],
      ['osh-ingress', 'deployed', 'install', 1],
      ['osh-keystone', 'deployed', 'install', 1],
      ['osh-glance', 'deployed', 'install', 1],
      ['osh-nova', 'deployed', 'install', 1],
      ['osh-neutron', 'deployed', 'install', 1],
    ]);
    expect(s.recorder.maxConcurrentUpgrades()).toBe(2);
    const upgrade = (release: string) =>
      s.recorder.calls.find((c) => c.argv[0] === 'upgrade' && c.argv[1] === release)!;
    // keystone (sequenced) finished before glance started; the infra group finished before keystone.
    expect(upgrade('osh-keystone').finishedAt!).toBeLessThan(upgrade('osh-glance').startedAt);
    for (const infra of INFRA)
      expect(upgrade(infra).finishedAt!).toBeLessThan(upgrade('osh-keystone').startedAt);
    expect(s.recorder.releasesOf('test')).toEqual(['osh-keystone', 'osh-glance']);
    // Armada's label wait asked the API for each release's pods.
    expect(
      s.api.calls.some(
        (c) =>
          c.path === '/api/v1/namespaces/openstack/pods' &&
          c.query.labelSelector === 'release_group=osh-nova',
      ),
    ).toBe(true);
    expect(report.results.find((r) => r.release === 'osh-keystone')?.test).toBe('passed');
    // no test asks for cleanup here: the test pods stay, as helm leaves them
    expect(s.api.list('pods', 'openstack').map((p) => p.metadata.name)).toEqual(
      expect.arrayContaining(['keystone-test', 'glance-test']),
    );
  });

  it('removes test pods afterwards when test.options.cleanup is set', async () => {
    const s = await setup();
    s.model.groups[1].charts[0].test.cleanup = true;
    await s.engine.apply(s.model);
    const pods = s.api.list('pods', 'openstack').map((p) => p.metadata.name);
    expect(pods).not.toContain('keystone-test');
    expect(pods).toContain('glance-test');
  });

  it('passes values as a 0600 file, never in argv, and helm renders them', async () => {
    const s = await setup();
    await s.engine.apply(s.model);
    const argv = upgradeArgv(s.recorder, 'osh-mariadb');
    const file = argv[argv.indexOf('--values') + 1];
    expect((statSync(file).mode & 0o777).toString(8)).toBe('600');
    expect(readFileSync(file, 'utf8')).toContain('password: s3cret');
    expect(argv.join(' ')).not.toContain('s3cret');
    expect(argv).toEqual(expect.arrayContaining(['--timeout', '60s', '--create-namespace']));
    expect(argv).toContain(defaultHelmMajor() === 4 ? '--wait=legacy' : '--wait');
    const configMap = s.api
      .list('configmaps', 'openstack')
      .find((c) => c.metadata.name === 'osh-mariadb-etc');
    expect(configMap.data['values.yaml']).toContain('password: s3cret');
  });

  it('stops at the first failed group: a chart failing mid-group fails it, later groups do not run', async () => {
    const s = await setup({ concurrency: 1 });
    writeChart(path.join(s.dir, 'charts'), 'rabbitmq', { invalid: true });
    const report = await s.engine.apply(s.model);
    expect(report.failedGroup).toBe('infra');
    const byRelease = Object.fromEntries(report.results.map((r) => [r.release, r]));
    expect(byRelease['osh-mariadb'].outcome).toBe('deployed');
    // The API server refused the object: helm recorded the release as failed.
    expect(byRelease['osh-rabbitmq']).toMatchObject({ outcome: 'failed', status: 'failed', revision: 1 });
    expect(byRelease['osh-rabbitmq'].message).toContain('ConfigMap "osh-rabbitmq-Etc" is invalid');
    // with one chart at a time, the charts queued behind the failure are not started
    expect(byRelease['osh-memcached']).toMatchObject({
      outcome: 'skipped',
      message: 'not started: osh-rabbitmq failed in this group',
    });
    expect(byRelease['osh-keystone']).toMatchObject({
      outcome: 'skipped',
      message: 'not run: group infra failed',
    });
    expect(s.recorder.releasesOf('upgrade')).toEqual(['osh-mariadb', 'osh-rabbitmq']);
  });

  it('fails a chart whose pods never get ready by their labels', async () => {
    const s = await setup({ timeoutS: 1 });
    // A pod of the release group that helm does not manage (say, a controller's) stays unready.
    s.api.state.pods = [
      {
        metadata: { name: 'osh-nova-0', namespace: 'openstack', labels: { release_group: 'osh-nova' } },
        status: { phase: 'Running', conditions: [{ type: 'Ready', status: 'False' }] },
      },
    ];
    const report = await s.engine.apply(s.model);
    const nova = report.results.find((r) => r.release === 'osh-nova')!;
    expect(nova).toMatchObject({ outcome: 'timeout', status: 'deployed' });
    expect(nova.message).toMatch(
      /^not ready within 1s \(labels release_group=osh-nova\): pod osh-nova-0: Running, not Ready$/,
    );
    expect(report.results.find((r) => r.release === 'osh-neutron')?.outcome).toBe('deployed');
  });

  it('fails a chart whose helm test fails', async () => {
    const s = await setup();
    const before = s.api.podOutcome;
    s.api.podOutcome = (pod) => (pod.metadata.name === 'glance-test' ? 'Failed' : before(pod));
    const report = await s.engine.apply(s.model);
    expect(report.results.find((r) => r.release === 'osh-glance')).toMatchObject({
      outcome: 'failed',
      test: 'failed',
      status: 'deployed',
      message: 'helm test failed: glance-test',
    });
    expect(report.failedGroup).toBe('identity-image');
  });

  it('leaves a protected release alone and carries on with continue_processing', async () => {
    const s = await setup();
    s.model.groups[0].charts[0].protected = { continueProcessing: true };
    await s.seed('osh-mariadb', 'mariadb');
    await killMidUpgrade(s.cluster, 'osh-mariadb', 'mariadb');
    const report = await s.engine.apply(s.model);
    expect(report.results.find((r) => r.release === 'osh-mariadb')).toMatchObject({
      outcome: 'protected',
      status: 'pending-upgrade',
      revision: 2,
    });
    expect(failures(report)).toEqual([]);
    expect(report.results.filter((r) => r.outcome === 'deployed')).toHaveLength(7);
    expect(s.recorder.releasesOf('uninstall')).toEqual([]);
    expect(s.recorder.releasesOf('upgrade')).not.toContain('osh-mariadb');
  });

  it('gives up when the deployment deadline runs out', async () => {
    const s = await setup({ deadlineMs: 1500, concurrency: 4, servers: ['mariadb'] });
    s.hang('osh-mariadb');
    const report = await s.engine.apply(s.model);
    expect(report.results.find((r) => r.release === 'osh-mariadb')?.outcome).toBe('timeout');
    expect(report.failedGroup).toBe('infra');
    expect(report.results.find((r) => r.release === 'osh-keystone')?.outcome).toBe('skipped');
  });

  it('stops starting charts when cancelled', async () => {
    const controller = new AbortController();
    const s = await setup({ concurrency: 1, servers: ['mariadb'], signal: controller.signal });
    s.hang('osh-mariadb');
    // Cancelled while helm waits for mariadb's server pod.
    const watching = setInterval(() => {
      if (s.api.list('pods', 'openstack').some((p) => p.metadata.name === 'osh-mariadb-server'))
        controller.abort();
    }, 20);
    const report = await s.engine.apply(s.model).finally(() => clearInterval(watching));
    expect(report.results[0]).toMatchObject({ release: 'osh-mariadb', outcome: 'cancelled' });
    expect(report.results.slice(1).every((r) => r.outcome === 'cancelled')).toBe(true);
    expect(s.recorder.releasesOf('upgrade')).toEqual(['osh-mariadb']);
  });

  it('collects diagnostics of a failed release into the artifact directory and the summary', async () => {
    const s = await setup({ timeoutS: 1 });
    const pod = 'nova-api-osapi-5d9f7b7c4-x2lqp';
    s.api.state.pods = [
      {
        metadata: { name: pod, namespace: 'openstack', labels: { release_group: 'osh-nova' } },
        status: {
          phase: 'Running',
          conditions: [{ type: 'Ready', status: 'False' }],
          containerStatuses: [
            {
              name: 'nova-osapi',
              ready: false,
              restartCount: 4,
              image: 'nova:1',
              imageID: '',
              state: { waiting: { reason: 'CrashLoopBackOff' } },
            },
          ],
        },
      },
    ];
    s.api.state.events = [
      {
        metadata: { name: `${pod}.1`, namespace: 'openstack' },
        involvedObject: { kind: 'Pod', name: pod, namespace: 'openstack' },
        type: 'Warning',
        reason: 'BackOff',
        message: 'Back-off restarting failed container nova-osapi',
      },
    ];
    s.api.state.logs[`openstack/${pod}/nova-osapi`] =
      'oslo_db.exception.DBConnectionError: (pymysql.err.OperationalError) (2003, "Can\'t connect to MySQL server")';
    const report = await s.engine.apply(s.model);
    const artifact = path.join(s.dir, 'diagnostics');
    const collected = await collectDiagnostics({
      failed: failures(report),
      charts: new Map(s.model.groups.flatMap((g) => g.charts).map((c) => [c.release, c])),
      helm: s.helm,
      cluster: s.kube,
      dir: artifact,
      logLines: 50,
    });
    expect(collected.map((c) => c.result.release)).toEqual(['osh-nova']);
    const releaseDir = path.join(artifact, 'openstack.osh-nova');
    expect(readFileSync(path.join(releaseDir, 'pods.txt'), 'utf8')).toContain(
      'nova-osapi: waiting: CrashLoopBackOff, restarts 4',
    );
    expect(readFileSync(path.join(releaseDir, 'events.txt'), 'utf8')).toContain('BackOff');
    expect(readFileSync(path.join(releaseDir, 'logs', `${pod}_nova-osapi.previous.log`), 'utf8')).toContain(
      'DBConnectionError',
    );
    expect(JSON.parse(readFileSync(path.join(releaseDir, 'helm-status.json'), 'utf8'))).toMatchObject({
      name: 'osh-nova',
      status: 'deployed',
    });
    const markdown = diagnosticsMarkdown(collected, artifact);
    expect(markdown).toContain('**osh-nova** (openstack): not ready within 1s');
    expect(markdown).toContain(`| ${pod} | Running | nova-osapi: waiting: CrashLoopBackOff (restarts 4) |`);
    expect(markdown).toContain('Back-off restarting failed container nova-osapi');
  });
});

/** What goes through the flags and status JSON that differ between Helm 3 and Helm 4. */
describe.each([3, 4] as const)('helm engine on the real Helm %i', (major) => {
  it('times a hanging chart out after its wait.timeout, and a sequenced group stops there', async () => {
    const s = await setup({ major, timeoutS: 1, servers: ['keystone'] });
    s.hang('osh-keystone');
    const report = await s.engine.apply(s.model);
    const keystone = report.results.find((r) => r.release === 'osh-keystone')!;
    expect(keystone).toMatchObject({ outcome: 'timeout', status: 'failed', revision: 1 });
    expect(keystone.message).toContain('context deadline exceeded');
    expect(report.results.find((r) => r.release === 'osh-glance')).toMatchObject({
      outcome: 'skipped',
      message: 'not run: osh-keystone failed earlier in this sequenced group',
    });
    expect(report.failedGroup).toBe('identity-image');
    expect(upgradeArgv(s.recorder, 'osh-keystone')).toContain(major === 4 ? '--wait=legacy' : '--wait');
  });

  it('upgrades existing releases, running upgrade.pre.delete first', async () => {
    const s = await setup({ major });
    await s.seed('osh-keystone', 'keystone');
    await s.seed('osh-keystone', 'keystone');
    const labels = { application: 'keystone', release_group: 'osh-keystone' };
    s.api.state.jobs = [
      { metadata: { name: 'keystone-db-sync', namespace: 'openstack', labels }, spec: {}, status: {} },
    ];
    const report = await s.engine.apply(s.model);
    expect(report.results.find((r) => r.release === 'osh-keystone')).toMatchObject({
      action: 'upgrade',
      revision: 3,
      outcome: 'deployed',
    });
    expect(s.api.list('jobs', 'openstack')).toEqual([]);
    expect(s.log).toContain('osh-keystone: upgrade.pre.delete job: job/keystone-db-sync');
    expect((await s.helm.history('osh-keystone', 'openstack')).map((h) => h.status)).toEqual([
      'superseded',
      'superseded',
      'deployed',
    ]);
  });

  it('purges a failed release and installs it again — but never deletes a protected one', async () => {
    const s = await setup({ major });
    await Promise.all([
      s.seed('osh-rabbitmq', 'rabbitmq', { invalid: true }),
      s.seed('osh-mariadb', 'mariadb', { invalid: true }),
    ]);
    expect((await s.helm.status('osh-rabbitmq', 'openstack'))!.status).toBe('failed');
    const report = await s.engine.apply(s.model);
    expect(s.recorder.releasesOf('uninstall')).toEqual(['osh-rabbitmq']);
    expect(report.results.find((r) => r.release === 'osh-rabbitmq')).toMatchObject({
      action: 'reinstall',
      outcome: 'deployed',
      revision: 1,
    });
    const mariadb = report.results.find((r) => r.release === 'osh-mariadb')!;
    expect(mariadb).toMatchObject({ action: 'none', outcome: 'failed', status: 'failed' });
    expect(mariadb.message).toContain('stops the deployment');
    expect((await s.helm.history('osh-mariadb', 'openstack')).map((h) => h.status)).toEqual(['failed']);
    expect(report.failedGroup).toBe('infra');
    expect(failures(report).map((r) => r.release)).toEqual(['osh-mariadb']);
  });
});
