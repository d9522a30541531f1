/**
 * lib/helm's HelmCli with the real Helm 3.17 and Helm 4.1 binaries against the fake Kubernetes API:
 * every operation the engines use, and the flags that differ between the majors.
 */
import { writeFileSync } from 'node:fs';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { HelmError, type UpgradeInstallRequest } from '../../actions/lib/helm/index.js';
import { installHelm } from '../support/helm.js';
import { startHelmCluster, writeTestChart, type HelmCluster } from '../support/helm-cluster.js';

describe.each([3, 4] as const)('HelmCli with real Helm %i', (major) => {
  let cluster: HelmCluster;
  let chart: string;
  beforeAll(async () => {
    cluster = await startHelmCluster(major);
    chart = writeTestChart(cluster.dir, { name: 'keystone', version: '0.3.7', server: true, testHook: true });
  });
  afterAll(() => cluster.close());

  const request = (release: string, extra: Partial<UpgradeInstallRequest> = {}): UpgradeInstallRequest => ({
    release,
    chart,
    namespace: 'openstack',
    valuesFiles: [],
    wait: true,
    timeoutMs: 30_000,
    createNamespace: true,
    ...extra,
  });

  it('detects the version once and builds argv for it', async () => {
    const lines: string[] = [];
    const helm = cluster.client({ log: (line) => lines.push(line) });
    await helm.list({ namespace: 'openstack', all: true });
    await helm.list({ namespace: 'openstack', all: true });
    expect(lines.filter((l) => l.includes(' version '))).toHaveLength(1);
    const list = lines.find((l) => l.includes(' list '))!;
    expect(list.includes('--all ')).toBe(major === 3);
    expect((await helm.globals()).major).toBe(major);
  });

  it('installs, upgrades with values, and reports status, list and history as helm prints them', async () => {
    const helm = cluster.client();
    const installed = await helm.upgradeInstall(request('osh-keystone'));
    expect(installed).toMatchObject({
      name: 'osh-keystone',
      namespace: 'openstack',
      revision: 1,
      status: 'deployed',
      description: 'Install complete',
      chartName: 'keystone',
      chartVersion: '0.3.7',
      appVersion: '2024.1',
    });
    expect(installed.tests.map((t) => [t.name, t.phase])).toEqual([['osh-keystone-test', 'Unknown']]);
    expect(installed.lastDeployed).toMatch(/^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z$/);
    const values = path.join(cluster.dir, 'values.yaml');
    writeFileSync(values, 'greeting: hallo\n');
    const upgraded = await helm.upgradeInstall(request('osh-keystone', { valuesFiles: [values] }));
    expect(upgraded).toMatchObject({ revision: 2, status: 'deployed', description: 'Upgrade complete' });
    const configMap = cluster.api
      .list('configmaps', 'openstack')
      .find((c) => c.metadata.name === 'osh-keystone-config');
    expect(configMap.data).toEqual({ greeting: 'hallo' });
    expect(await helm.status('osh-keystone', 'openstack')).toMatchObject({ revision: 2, status: 'deployed' });
    expect(await helm.list({ namespace: 'openstack' })).toMatchObject([
      {
        name: 'osh-keystone',
        revision: 2,
        status: 'deployed',
        chart: 'keystone-0.3.7',
        appVersion: '2024.1',
      },
    ]);
    expect((await helm.history('osh-keystone', 'openstack')).map((h) => [h.revision, h.status])).toEqual([
      [1, 'superseded'],
      [2, 'deployed'],
    ]);
    // Helm keeps each revision in a Secret of type helm.sh/release.v1.
    const secrets = cluster.api.list('secrets', 'openstack').filter((s) => s.type === 'helm.sh/release.v1');
    expect(secrets.map((s) => s.metadata.name).sort()).toEqual([
      'sh.helm.release.v1.osh-keystone.v1',
      'sh.helm.release.v1.osh-keystone.v2',
    ]);
  });

  it('runs test hooks: a pod that succeeds passes, one that fails is a result, not an error', async () => {
    const helm = cluster.client();
    await helm.upgradeInstall(request('osh-glance'));
    cluster.api.logs['openstack/osh-glance-test/test'] = 'images: 3 listed\n';
    const passed = await helm.test('osh-glance', 'openstack', { timeoutMs: 30_000, logs: true });
    expect(passed).toMatchObject({ passed: true, suites: [{ name: 'osh-glance-test', phase: 'Succeeded' }] });
    expect(passed.logs).toContain('POD LOGS: osh-glance-test');
    expect(passed.logs).toContain('images: 3 listed');
    cluster.api.podOutcome = (pod) => (pod.metadata.name.endsWith('-test') ? 'Failed' : 'Ready');
    try {
      const failed = await helm.test('osh-glance', 'openstack', { timeoutMs: 30_000 });
      expect(failed).toMatchObject({ passed: false, suites: [{ name: 'osh-glance-test', phase: 'Failed' }] });
      expect(failed.failure).toContain('osh-glance-test');
      expect((await helm.status('osh-glance', 'openstack'))!.tests[0].phase).toBe('Failed');
    } finally {
      cluster.api.podOutcome = (pod) => (pod.spec.restartPolicy === 'Never' ? 'Succeeded' : 'Ready');
    }
  });

  it("keeps Armada's force: three forced upgrades in a row leave the release deployed", async () => {
    const lines: string[] = [];
    const helm = cluster.client({ log: (line) => lines.push(line) });
    for (let night = 1; night <= 3; night++) {
      const release = await helm.upgradeInstall(request('osh-mariadb', { force: true }));
      expect(release).toMatchObject({ revision: night, status: 'deployed' });
    }
    expect((await helm.history('osh-mariadb', 'openstack')).map((h) => h.status)).toEqual([
      'superseded',
      'superseded',
      'deployed',
    ]);
    const upgrades = lines.filter((l) => l.includes(' upgrade '));
    if (major === 3) expect(upgrades.every((l) => / --force /.test(l) && / --wait /.test(l))).toBe(true);
    else expect(upgrades.every((l) => / --force-conflicts /.test(l) && / --wait=legacy /.test(l))).toBe(true);
  });

  it('gives up at the timeout when a pod never gets ready, leaving the release failed', async () => {
    const helm = cluster.client();
    cluster.api.podOutcome = () => 'Pending';
    try {
      const failure = await helm
        .upgradeInstall(request('osh-nova', { timeoutMs: 2000 }))
        .catch((e: unknown) => e);
      expect(failure).toBeInstanceOf(HelmError);
      expect((failure as HelmError).details.timedOut).toBe(true);
      expect((await helm.status('osh-nova', 'openstack'))!.status).toBe('failed');
    } finally {
      cluster.api.podOutcome = (pod) => (pod.spec.restartPolicy === 'Never' ? 'Succeeded' : 'Ready');
    }
  });

  it('uninstalls, with and without history', async () => {
    const helm = cluster.client();
    await helm.upgradeInstall(request('osh-heat'));
    await helm.upgradeInstall(request('osh-barbican'));
    await helm.uninstall('osh-heat', 'openstack', { wait: true, timeoutMs: 30_000 });
    expect(await helm.status('osh-heat', 'openstack')).toBeUndefined();
    expect(await helm.history('osh-heat', 'openstack')).toEqual([]);
    // helm test on a release that is gone never ran a test: an error, not a failed test.
    await expect(helm.test('osh-heat', 'openstack', { timeoutMs: 10_000 })).rejects.toThrow(HelmError);
    await helm.uninstall('osh-barbican', 'openstack', { keepHistory: true });
    expect((await helm.status('osh-barbican', 'openstack'))!.status).toBe('uninstalled');
    expect(
      (await helm.list({ namespace: 'openstack', all: true })).map((r) => [r.name, r.status]),
    ).toContainEqual(['osh-barbican', 'uninstalled']);
  });

  it("refuses a helm outside the profile's pinned version before doing anything", async () => {
    const other = major === 3 ? '>=4.1 <5' : '3.17.x';
    const helm = cluster.client({ version: other });
    await expect(helm.list()).rejects.toThrow(
      `${cluster.helm.helm} is helm ${cluster.helm.version}, but the profile pins helm version ${other}`,
    );
    expect((await cluster.client({ version: `^${cluster.helm.version}` }).globals()).major).toBe(major);
  });
});

describe('a release Helm 3 installed, upgraded by Helm 4 with force', () => {
  it('is replaced (client-side apply stays) and stays deployed', async () => {
    const cluster3 = await startHelmCluster(3);
    try {
      const chart = writeTestChart(cluster3.dir, { name: 'memcached', server: true });
      const lines: string[] = [];
      const helm4 = cluster3.client({ binary: installHelm(4).helm, log: (line) => lines.push(line) });
      const base = {
        release: 'osh-memcached',
        chart,
        namespace: 'openstack',
        valuesFiles: [],
        wait: true,
        timeoutMs: 30_000,
      };
      await cluster3.client().upgradeInstall({ ...base, createNamespace: true });
      for (let night = 2; night <= 3; night++)
        expect(await helm4.upgradeInstall({ ...base, force: true })).toMatchObject({
          revision: night,
          status: 'deployed',
          applyMethod: 'csa',
        });
      expect(lines.filter((l) => l.includes(' upgrade ')).every((l) => l.includes(' --force-replace '))).toBe(
        true,
      );
    } finally {
      await cluster3.close();
    }
  });
});
