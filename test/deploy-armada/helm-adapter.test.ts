import { writeFileSync } from 'node:fs';
import { createServer, type AddressInfo, type Server, type Socket } from 'node:net';
import path from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import {
  HelmCli,
  HelmError,
  HelmOutputError,
  listArgs,
  parseListJson,
  parseReleaseJson,
  testArgs,
  uninstallArgs,
  upgradeInstallArgs,
} from '../../actions/lib/helm/index.js';
import { runProcess } from '../../actions/lib/process.js';
import { fakeKubeconfig } from '../fakes/kube-api.js';
import { defaultHelmMajor, helmEnv, installHelm } from '../support/helm.js';
import { writeTestChart } from '../support/helm-cluster.js';
import { tempDir } from './support.js';

/** argv and parsing without a binary; the real Helm 3 and 4 run in test/lib/helm-cli.test.ts. */
describe('helm argv', () => {
  it('builds upgrade --install with values files, wait, timeout and kubeconfig, never values', () => {
    const args = upgradeInstallArgs(
      {
        release: 'osh-keystone',
        chart: '/srv/openstack-helm/keystone',
        namespace: 'openstack',
        valuesFiles: ['/tmp/a/keystone.yaml', '/tmp/a/keystone-site.yaml'],
        wait: true,
        timeoutMs: 900_000,
        noHooks: false,
        force: true,
        description: 'nightly 2026-11-25',
      },
      { kubeconfig: '/tmp/kc/config' },
    );
    expect(args).toEqual([
      'upgrade',
      'osh-keystone',
      '/srv/openstack-helm/keystone',
      '--install',
      '--namespace',
      'openstack',
      '--values',
      '/tmp/a/keystone.yaml',
      '--values',
      '/tmp/a/keystone-site.yaml',
      '--wait',
      '--timeout',
      '900s',
      '--force',
      '--description',
      'nightly 2026-11-25',
      '--output',
      'json',
      '--kubeconfig',
      '/tmp/kc/config',
    ]);
  });

  it('rounds timeouts up to whole seconds and lists every release', () => {
    expect(testArgs('osh-glance', 'openstack', { timeoutMs: 1500, logs: true })).toEqual([
      'test',
      'osh-glance',
      '--namespace',
      'openstack',
      '--timeout',
      '2s',
      '--logs',
    ]);
    expect(listArgs({ namespace: 'openstack', all: true })).toEqual([
      'list',
      '--namespace',
      'openstack',
      '--all',
      '--max',
      '0',
      '--output',
      'json',
    ]);
    expect(uninstallArgs('osh-x', 'ns', { wait: true, timeoutMs: 300_000 }, { kubeContext: 'dev' })).toEqual([
      'uninstall',
      'osh-x',
      '--namespace',
      'ns',
      '--wait',
      '--timeout',
      '300s',
      '--kube-context',
      'dev',
    ]);
  });
});

describe('helm argv on Helm 4', () => {
  const request = {
    release: 'osh-keystone',
    chart: '/srv/openstack-helm/keystone',
    namespace: 'openstack',
    valuesFiles: [],
    wait: true,
    timeoutMs: 60_000,
    force: true,
    atomic: true,
  };

  it("keeps Armada's wait, force and atomic with Helm 4's flags, no removed flag", () => {
    const ssa = upgradeInstallArgs(request, { major: 4 }, 'ssa');
    expect(ssa).toEqual(
      expect.arrayContaining(['--wait=legacy', '--force-conflicts', '--rollback-on-failure']),
    );
    expect(ssa).not.toContain('--force');
    expect(ssa).not.toContain('--wait');
    expect(ssa).not.toContain('--atomic');
    expect(upgradeInstallArgs(request, { major: 4 }, 'csa')).toContain('--force-replace');
    expect(upgradeInstallArgs(request, { major: 3 })).toEqual(
      expect.arrayContaining(['--wait', '--force', '--atomic']),
    );
    expect(listArgs({ namespace: 'openstack', all: true }, { major: 4 })).not.toContain('--all');
    expect(uninstallArgs('osh-x', 'ns', { wait: true }, { major: 4 })).toContain('--wait=legacy');
  });
});

describe('parsing what helm prints', () => {
  it('rejects output that is not what helm prints', () => {
    expect(() => parseReleaseJson('Error: something')).toThrow(HelmOutputError);
    expect(() => parseListJson('{"name":"x"}')).toThrow(/expected a JSON list/);
    expect(() => parseReleaseJson('{"name":"x","info":{"status":"exploded"}}')).toThrow(
      /unknown release status "exploded"/,
    );
  });
});

describe('HelmCli with the real helm', () => {
  const servers: Server[] = [];
  afterAll(() => servers.forEach((server) => server.close()));

  it('kills helm that outlives its own timeout (plus grace) and reports it as timed out', async () => {
    // An API server that accepts connections and never answers: helm's --timeout covers its waits,
    // not its API requests, so helm would hang there for good.
    const sockets: Socket[] = [];
    const silent = createServer((socket) => sockets.push(socket));
    servers.push(silent);
    await new Promise<void>((resolve) => silent.listen(0, '127.0.0.1', resolve));
    const dir = tempDir('helm-silent-api-');
    const kubeconfig = path.join(dir, 'kubeconfig');
    const url = `http://127.0.0.1:${(silent.address() as AddressInfo).port}`;
    writeFileSync(kubeconfig, fakeKubeconfig(url, { user: 'ci', token: 'fake-token-for-tests' }), {
      mode: 0o600,
    });
    const guards: (number | undefined)[] = [];
    const helm = new HelmCli({
      binary: installHelm(defaultHelmMajor()).helm,
      kubeconfig,
      env: helmEnv(dir),
      graceMs: 500,
      // The real runner; the test only notes the time limit each helm process got.
      runner: (file, args, options) => {
        guards.push(options.timeoutMs);
        return runProcess(file, args, options);
      },
    });
    const error = await helm
      .upgradeInstall({
        release: 'osh-glance',
        chart: writeTestChart(dir, { name: 'glance' }),
        namespace: 'openstack',
        valuesFiles: [],
        wait: true,
        timeoutMs: 1000,
      })
      .catch((e: unknown) => e);
    sockets.forEach((socket) => socket.destroy());
    expect(error).toBeInstanceOf(HelmError);
    expect((error as HelmError).details).toMatchObject({ timedOut: true, exitCode: null });
    expect((error as HelmError).message).toMatch(/^helm upgrade --install osh-glance: `.*` timed out/);
    // helm version, then the upgrade: its own --timeout 1s plus the grace.
    expect(guards).toEqual([300_000, 1500]);
  });

  it('refuses a binary that is not Helm 3 or Helm 4', async () => {
    // kubectl has no `version --template`; echo answers, but not with a helm version.
    const kubectl = installHelm(3).kubectl;
    await expect(new HelmCli({ binary: kubectl }).list()).rejects.toThrow(
      `${kubectl} version: \`${kubectl} version --template '{{.Version}}'\` exited with code 1:\n\nerror: unknown flag: --template`,
    );
    await expect(new HelmCli({ binary: '/bin/echo' }).list()).rejects.toThrow(
      '/bin/echo is helm "version --template {{.Version}}"; Helm 3 or Helm 4 is needed',
    );
  });
});
