import { mkdirSync, readFileSync, statSync } from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { loadManifest, type PlannedChart } from '../../actions/lib/armada/index.js';
import { collectDiagnostics, diagnosticsMarkdown } from '../../actions/deploy-armada/diagnostics.js';
import { HelmEngine } from '../../actions/deploy-armada/helm-engine.js';
import { failures } from '../../actions/deploy-armada/report.js';
import { FakeCluster, FakeHelm } from '../fakes/helm.js';
import { chartDoc, groupDoc, HELM_TOOLKIT, manifestDoc, tempDir, writeFile } from './support.js';

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

function setup(options: { concurrency?: number; timeoutS?: number; deadlineMs?: number } = {}) {
  const dir = tempDir();
  const text = options.timeoutS
    ? MANIFEST.replaceAll('timeout: 60\n    labels', `timeout: ${options.timeoutS}\n    labels`)
    : MANIFEST;
  const { model } = loadManifest({ files: [writeFile(dir, 'manifest.yaml', text)] });
  const helm = new FakeHelm();
  const cluster = new FakeCluster(helm);
  const prepared: string[] = [];
  const log: string[] = [];
  const engine = new HelmEngine({
    helm,
    cluster,
    prepareChart: async (chart: PlannedChart) => {
      prepared.push(chart.release);
      const chartDir = path.join(dir, 'charts', chart.chartName);
      mkdirSync(chartDir, { recursive: true });
      return chartDir;
    },
    valuesDir: path.join(dir, 'values'),
    concurrency: options.concurrency ?? 2,
    deadline: options.deadlineMs === undefined ? undefined : Date.now() + options.deadlineMs,
    log: (line) => log.push(line),
  });
  return { dir, model, helm, cluster, engine, prepared, log };
}

describe('helm engine on the fake helm/kube', () => {
  it('deploys every group in order: sequenced one by one, parallel with bounded concurrency', async () => {
    const { model, helm, engine, cluster } = setup({ concurrency: 2 });
    for (const release of ['osh-mariadb', 'osh-rabbitmq', 'osh-memcached', 'osh-ingress'])
      helm.behave(release, { delayMs: 20 });
    const report = await engine.apply(model);
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
    expect(helm.maxConcurrentUpgrades).toBe(2);
    const upgrades = helm.calls.filter((c) => c.op === 'upgrade');
    const at = (release: string) => upgrades.find((c) => c.release === release)!;
    // keystone (sequenced) finished before glance started; the infra group finished before keystone.
    expect(at('osh-keystone').finishedAt!).toBeLessThan(at('osh-glance').startedAt);
    for (const infra of ['osh-mariadb', 'osh-rabbitmq', 'osh-memcached', 'osh-ingress'])
      expect(at(infra).finishedAt!).toBeLessThan(at('osh-keystone').startedAt);
    expect(helm.callsOf('test')).toEqual(['osh-keystone', 'osh-glance']);
    expect(cluster.waits.map((w) => w.labels.release_group)).toContain('osh-nova');
    expect(report.results.find((r) => r.release === 'osh-keystone')?.test).toBe('passed');
    expect(cluster.deletions).toEqual([]); // no test asks for cleanup here
  });

  it('removes test pods afterwards when test.options.cleanup is set', async () => {
    const { model, engine, cluster } = setup();
    model.groups[1].charts[0].test.cleanup = true;
    await engine.apply(model);
    expect(cluster.deletions).toEqual([
      {
        namespace: 'openstack',
        type: 'pod',
        name: 'keystone-test',
        labels: { release_group: 'osh-keystone' },
      },
    ]);
  });

  it('passes values as a 0600 file, never in argv', async () => {
    const { model, helm, engine } = setup();
    await engine.apply(model);
    const revision = helm.releases.get('openstack/osh-mariadb')![0];
    const file = revision.request.valuesFiles[0];
    expect((statSync(file).mode & 0o777).toString(8)).toBe('600');
    expect(readFileSync(file, 'utf8')).toContain('password: s3cret');
    expect(revision.request).toMatchObject({ wait: true, timeoutMs: 60_000, createNamespace: true });
  });

  it('stops at the first failed group: a chart failing mid-group fails it, later groups do not run', async () => {
    const { model, helm, engine } = setup({ concurrency: 1 });
    helm.behave('osh-rabbitmq', {
      fail: 'template: rabbitmq/templates/statefulset.yaml:42: function "tuple" not defined',
    });
    const report = await engine.apply(model);
    expect(report.failedGroup).toBe('infra');
    const byRelease = Object.fromEntries(report.results.map((r) => [r.release, r]));
    expect(byRelease['osh-mariadb'].outcome).toBe('deployed');
    expect(byRelease['osh-rabbitmq']).toMatchObject({ outcome: 'failed', status: 'failed', revision: 1 });
    expect(byRelease['osh-rabbitmq'].message).toContain('function "tuple" not defined');
    // with one chart at a time, the charts queued behind the failure are not started
    expect(byRelease['osh-memcached']).toMatchObject({
      outcome: 'skipped',
      message: 'not started: osh-rabbitmq failed in this group',
    });
    expect(byRelease['osh-keystone']).toMatchObject({
      outcome: 'skipped',
      message: 'not run: group infra failed',
    });
    expect(helm.callsOf('upgrade')).toEqual(['osh-mariadb', 'osh-rabbitmq']);
  });

  it('times a hanging chart out after its wait.timeout, and a sequenced group stops there', async () => {
    const { model, helm, engine } = setup({ timeoutS: 1 });
    helm.behave('osh-keystone', { hang: true });
    const report = await engine.apply(model);
    const keystone = report.results.find((r) => r.release === 'osh-keystone')!;
    expect(keystone).toMatchObject({ outcome: 'timeout', status: 'failed' });
    expect(keystone.message).toContain('context deadline exceeded');
    expect(report.results.find((r) => r.release === 'osh-glance')).toMatchObject({
      outcome: 'skipped',
      message: 'not run: osh-keystone failed earlier in this sequenced group',
    });
    expect(report.failedGroup).toBe('identity-image');
  });

  it('fails a chart whose pods never get ready by their labels', async () => {
    const { model, engine, cluster } = setup({ timeoutS: 1 });
    cluster.unready.add('release_group=osh-nova');
    const report = await engine.apply(model);
    expect(report.results.find((r) => r.release === 'osh-nova')).toMatchObject({ outcome: 'timeout' });
    expect(report.results.find((r) => r.release === 'osh-nova')!.message).toMatch(
      /^not ready within 1s \(labels release_group=osh-nova\): pod osh-nova-0/,
    );
    expect(report.results.find((r) => r.release === 'osh-neutron')?.outcome).toBe('deployed');
  });

  it('fails a chart whose helm test fails', async () => {
    const { model, helm, engine } = setup();
    helm.behave('osh-glance', { failTest: true });
    const report = await engine.apply(model);
    expect(report.results.find((r) => r.release === 'osh-glance')).toMatchObject({
      outcome: 'failed',
      test: 'failed',
      status: 'deployed',
      message: 'helm test failed: glance-test',
    });
    expect(report.failedGroup).toBe('identity-image');
  });

  it('upgrades existing releases, running upgrade.pre.delete first', async () => {
    const { model, helm, engine, cluster } = setup();
    helm.seed('osh-keystone', 'openstack', 'keystone-0.3.15', 6);
    const report = await engine.apply(model);
    expect(report.results.find((r) => r.release === 'osh-keystone')).toMatchObject({
      action: 'upgrade',
      revision: 7,
      outcome: 'deployed',
    });
    expect(cluster.deletions).toEqual([
      { namespace: 'openstack', type: 'job', name: undefined, labels: { application: 'keystone' } },
    ]);
    expect((await helm.history('osh-keystone', 'openstack')).map((h) => h.status).slice(-2)).toEqual([
      'superseded',
      'deployed',
    ]);
  });

  it('purges a failed release and installs it again — but never deletes a protected one', async () => {
    const { model, helm, engine } = setup();
    helm.seed('osh-rabbitmq', 'openstack', 'rabbitmq-0.1.0');
    helm.releases.get('openstack/osh-rabbitmq')![0].status = 'failed';
    helm.seed('osh-mariadb', 'openstack', 'mariadb-0.2.44');
    helm.releases.get('openstack/osh-mariadb')![0].status = 'failed';
    const report = await engine.apply(model);
    expect(helm.callsOf('uninstall')).toEqual(['osh-rabbitmq']);
    expect(report.results.find((r) => r.release === 'osh-rabbitmq')).toMatchObject({
      action: 'reinstall',
      outcome: 'deployed',
      revision: 1,
    });
    const mariadb = report.results.find((r) => r.release === 'osh-mariadb')!;
    expect(mariadb).toMatchObject({ action: 'none', outcome: 'failed', status: 'failed' });
    expect(mariadb.message).toContain('stops the deployment');
    expect(helm.releases.get('openstack/osh-mariadb')).toHaveLength(1);
    expect(report.failedGroup).toBe('infra');
    expect(failures(report).map((r) => r.release)).toEqual(['osh-mariadb']);
  });

  it('leaves a protected release alone and carries on with continue_processing', async () => {
    const { model, helm, engine } = setup();
    model.groups[0].charts[0].protected = { continueProcessing: true };
    helm.seed('osh-mariadb', 'openstack', 'mariadb-0.2.44');
    helm.releases.get('openstack/osh-mariadb')![0].status = 'pending-upgrade';
    const report = await engine.apply(model);
    expect(report.results.find((r) => r.release === 'osh-mariadb')).toMatchObject({
      outcome: 'protected',
      status: 'pending-upgrade',
    });
    expect(failures(report)).toEqual([]);
    expect(report.results.filter((r) => r.outcome === 'deployed')).toHaveLength(7);
    expect(helm.callsOf('uninstall')).toEqual([]);
  });

  it('gives up when the deployment deadline runs out', async () => {
    const { model, helm, engine } = setup({ deadlineMs: 300, concurrency: 4 });
    helm.behave('osh-mariadb', { hang: true });
    const report = await engine.apply(model);
    expect(report.results.find((r) => r.release === 'osh-mariadb')?.outcome).toBe('timeout');
    expect(report.failedGroup).toBe('infra');
  });

  it('stops starting charts when cancelled', async () => {
    const controller = new AbortController();
    const dir = tempDir();
    const { model } = loadManifest({ files: [writeFile(dir, 'm.yaml', MANIFEST)] });
    const helm = new FakeHelm().behave('osh-mariadb', { hang: true });
    const engine = new HelmEngine({
      helm,
      cluster: new FakeCluster(helm),
      prepareChart: async () => dir,
      valuesDir: path.join(dir, 'v'),
      concurrency: 1,
      signal: controller.signal,
      log: () => undefined,
    });
    setTimeout(() => controller.abort(), 50);
    const report = await engine.apply(model);
    expect(report.results[0]).toMatchObject({ release: 'osh-mariadb', outcome: 'cancelled' });
    expect(report.results.slice(1).every((r) => r.outcome === 'cancelled')).toBe(true);
    expect(helm.callsOf('upgrade')).toEqual(['osh-mariadb']);
  });

  it('collects diagnostics of a failed release into the artifact directory and the summary', async () => {
    const { dir, model, helm, engine, cluster } = setup({ timeoutS: 1 });
    cluster.unready.add('release_group=osh-nova');
    helm.pods.push({
      name: 'nova-api-osapi-5d9f7b7c4-x2lqp',
      namespace: 'openstack',
      labels: { release_group: 'osh-nova' },
      ready: false,
      phase: 'Running',
      containers: [
        {
          name: 'nova-osapi',
          restartCount: 4,
          waitingReason: 'CrashLoopBackOff',
          log: 'oslo_db.exception.DBConnectionError: (pymysql.err.OperationalError) (2003, "Can\'t connect to MySQL server")',
        },
      ],
    });
    helm.events.push({
      namespace: 'openstack',
      involvedObject: 'pod/nova-api-osapi-5d9f7b7c4-x2lqp',
      type: 'Warning',
      reason: 'BackOff',
      message: 'Back-off restarting failed container nova-osapi',
    });
    const report = await engine.apply(model);
    const artifact = path.join(dir, 'diagnostics');
    const collected = await collectDiagnostics({
      failed: failures(report),
      charts: new Map(model.groups.flatMap((g) => g.charts).map((c) => [c.release, c])),
      helm,
      cluster,
      dir: artifact,
      logLines: 50,
    });
    expect(collected.map((c) => c.result.release)).toEqual(['osh-nova']);
    const releaseDir = path.join(artifact, 'openstack.osh-nova');
    expect(readFileSync(path.join(releaseDir, 'pods.txt'), 'utf8')).toContain(
      'nova-osapi: waiting: CrashLoopBackOff, restarts 4',
    );
    expect(readFileSync(path.join(releaseDir, 'events.txt'), 'utf8')).toContain('BackOff');
    expect(
      readFileSync(
        path.join(releaseDir, 'logs', 'nova-api-osapi-5d9f7b7c4-x2lqp_nova-osapi.previous.log'),
        'utf8',
      ),
    ).toContain('DBConnectionError');
    expect(JSON.parse(readFileSync(path.join(releaseDir, 'helm-status.json'), 'utf8'))).toMatchObject({
      name: 'osh-nova',
      status: 'deployed',
    });
    const markdown = diagnosticsMarkdown(collected, artifact);
    expect(markdown).toContain('**osh-nova** (openstack): not ready within 1s');
    expect(markdown).toContain(
      '| nova-api-osapi-5d9f7b7c4-x2lqp | Running | nova-osapi: waiting: CrashLoopBackOff (restarts 4) |',
    );
    expect(markdown).toContain('Back-off restarting failed container nova-osapi');
  });
});
