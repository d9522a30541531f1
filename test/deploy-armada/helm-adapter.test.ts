import { describe, expect, it } from 'vitest';
import type { ProcessResult, RunOptions } from '../../actions/lib/process.js';
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

function result(partial: Partial<ProcessResult>): ProcessResult {
  return {
    command: 'helm',
    exitCode: 0,
    signal: null,
    stdout: '',
    stderr: '',
    timedOut: false,
    cancelled: false,
    durationMs: 1,
    ...partial,
  };
}

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

describe('HelmCli', () => {
  it('kills helm that outlives its own timeout (plus grace) and reports it as timed out', async () => {
    const calls: { args: readonly string[]; options: RunOptions }[] = [];
    const runner = async (_file: string, args: readonly string[], options: RunOptions) => {
      calls.push({ args, options });
      return result(args[0] === 'version' ? { stdout: 'v3.17.3' } : { exitCode: null, timedOut: true });
    };
    const helm = new HelmCli({ binary: '/opt/helm', runner, graceMs: 5000 });
    const error = await helm
      .upgradeInstall({
        release: 'osh-glance',
        chart: 'c',
        namespace: 'openstack',
        valuesFiles: [],
        wait: true,
        timeoutMs: 10_000,
      })
      .catch((e: unknown) => e);
    expect(error).toBeInstanceOf(HelmError);
    expect((error as HelmError).details.timedOut).toBe(true);
    expect(calls[1].options.timeoutMs).toBe(15_000);
  });

  it('refuses a binary that is neither Helm 3 nor Helm 4', async () => {
    const runner = async () => result({ stdout: 'v2.17.0' });
    await expect(new HelmCli({ binary: '/opt/helm2', runner }).list()).rejects.toThrow(
      '/opt/helm2 is helm "v2.17.0"; Helm 3 or Helm 4 is needed',
    );
  });
});
