import { readFileSync } from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import type { ProcessResult, RunOptions } from '../../actions/lib/process.js';
import {
  HelmCli,
  HelmError,
  HelmOutputError,
  listArgs,
  parseHistoryJson,
  parseListJson,
  parseReleaseJson,
  parseTestOutput,
  testArgs,
  uninstallArgs,
  upgradeInstallArgs,
} from '../../actions/lib/helm/index.js';

const recorded = (name: string) =>
  readFileSync(path.join(import.meta.dirname, '..', 'fixtures', 'recorded', 'helm', name), 'utf8');

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

/** A runner that answers from recorded outputs and remembers each argv. */
function recordedRunner(answer: (args: readonly string[]) => Partial<ProcessResult>) {
  const calls: { file: string; args: readonly string[]; options: RunOptions }[] = [];
  const runner = async (file: string, args: readonly string[], options: RunOptions) => {
    calls.push({ file, args, options });
    return result(answer(args));
  };
  return { calls, runner };
}

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

describe('parsing recorded helm 3 output', () => {
  it('reads a deployed release with its test hook from helm status -o json', () => {
    const release = parseReleaseJson(recorded('status-keystone-deployed.json'));
    expect(release).toMatchObject({
      name: 'osh-keystone',
      namespace: 'openstack',
      revision: 7,
      status: 'deployed',
      description: 'Upgrade complete',
      chartName: 'keystone',
      chartVersion: '0.3.17',
      appVersion: 'v1.0.0',
      lastDeployed: '2026-11-25T02:31:44.102Z',
    });
    expect(release.tests).toEqual([
      {
        name: 'keystone-test',
        phase: 'Succeeded',
        startedAt: '2026-11-25T02:33:10.450Z',
        completedAt: '2026-11-25T02:35:02.811Z',
      },
    ]);
  });

  it('reads a failed release whose test never ran', () => {
    const release = parseReleaseJson(recorded('status-glance-failed.json'));
    expect(release.status).toBe('failed');
    expect(release.description).toContain('context deadline exceeded');
    expect(release.tests).toEqual([
      { name: 'glance-test', phase: 'Unknown', startedAt: undefined, completedAt: undefined },
    ]);
  });

  it('reads helm list rows: string revisions and Go time strings in any zone', () => {
    const rows = parseListJson(recorded('list-openstack.json'));
    expect(rows.map((r) => [r.name, r.revision, r.status, r.chart])).toEqual([
      ['osh-glance', 1, 'failed', 'glance-0.4.21'],
      ['osh-keystone', 7, 'deployed', 'keystone-0.3.17'],
      ['osh-mariadb', 1, 'deployed', 'mariadb-0.2.44'],
    ]);
    expect(rows[2].updated).toBe('2026-11-25T02:18:30.772Z');
  });

  it('reads helm history oldest first', () => {
    const history = parseHistoryJson(recorded('history-keystone.json'));
    expect(history.map((h) => `${h.revision}:${h.status}`)).toEqual([
      '5:superseded',
      '6:superseded',
      '7:deployed',
    ]);
  });

  it('reads test suites and pod logs from helm test', () => {
    const passed = parseTestOutput(recorded('test-keystone-passed.stdout'));
    expect(passed.suites).toEqual([expect.objectContaining({ name: 'keystone-test', phase: 'Succeeded' })]);
    expect(passed.logs).toMatch(/^POD LOGS: keystone-test\n\+ rally deployment create/);
    expect(parseTestOutput(recorded('test-glance-failed.stdout')).suites[0].phase).toBe('Failed');
  });

  it('rejects output that is not what helm prints', () => {
    expect(() => parseReleaseJson('Error: something')).toThrow(HelmOutputError);
    expect(() => parseListJson('{"name":"x"}')).toThrow(/expected a JSON list/);
    expect(() => parseReleaseJson('{"name":"x","info":{"status":"exploded"}}')).toThrow(
      /unknown release status "exploded"/,
    );
  });

  it('skips warnings helm prints before the JSON', () => {
    const text = `WARNING: Kubernetes configuration file is group-readable. This is insecure. Location: /root/.kube/config\n${recorded('upgrade-mariadb.json')}`;
    expect(parseReleaseJson(text).name).toBe('osh-mariadb');
  });
});

describe('HelmCli', () => {
  it('returns the release helm upgrade printed and passes the kubeconfig flag', async () => {
    const { calls, runner } = recordedRunner(() => ({ stdout: recorded('upgrade-mariadb.json') }));
    const helm = new HelmCli({ binary: '/opt/helm', kubeconfig: '/tmp/kc', runner, graceMs: 5000 });
    const release = await helm.upgradeInstall({
      release: 'osh-mariadb',
      chart: 'c',
      namespace: 'openstack',
      valuesFiles: [],
      wait: true,
      timeoutMs: 10_000,
    });
    expect(release).toMatchObject({ name: 'osh-mariadb', revision: 1, status: 'deployed' });
    expect(calls[0].file).toBe('/opt/helm');
    expect(calls[0].args).toContain('--kubeconfig');
    expect(calls[0].options.timeoutMs).toBe(15_000);
  });

  it('turns a helm timeout into a HelmError marked timedOut', async () => {
    const { runner } = recordedRunner(() => ({ exitCode: 1, stderr: recorded('upgrade-timeout.stderr') }));
    const helm = new HelmCli({ runner });
    const error = await helm
      .upgradeInstall({
        release: 'osh-glance',
        chart: 'c',
        namespace: 'openstack',
        valuesFiles: [],
        wait: true,
        timeoutMs: 1000,
      })
      .catch((e: unknown) => e);
    expect(error).toBeInstanceOf(HelmError);
    expect((error as HelmError).details.timedOut).toBe(true);
  });

  it('reports a missing release as undefined / empty history', async () => {
    const { runner } = recordedRunner(() => ({ exitCode: 1, stderr: recorded('status-not-found.stderr') }));
    const helm = new HelmCli({ runner });
    expect(await helm.status('nothing', 'openstack')).toBeUndefined();
    expect(await helm.history('nothing', 'openstack')).toEqual([]);
  });

  it('reports a failed helm test as a result, not an error', async () => {
    const { runner } = recordedRunner(() => ({
      exitCode: 1,
      stdout: recorded('test-glance-failed.stdout'),
      stderr: recorded('test-glance-failed.stderr'),
    }));
    const outcome = await new HelmCli({ runner }).test('osh-glance', 'openstack', { timeoutMs: 600_000 });
    expect(outcome.passed).toBe(false);
    expect(outcome.suites[0]).toMatchObject({ name: 'glance-test', phase: 'Failed' });
    expect(outcome.failure).toContain('pod glance-test failed');
  });

  it('throws when helm test could not run at all', async () => {
    const { runner } = recordedRunner(() => ({ exitCode: 1, stderr: recorded('status-not-found.stderr') }));
    await expect(new HelmCli({ runner }).test('nothing', 'openstack', { timeoutMs: 1000 })).rejects.toThrow(
      HelmError,
    );
  });
});
