import { spawn } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { stringify } from 'yaml';
import { run } from '../../actions/cookiemonster/main.js';
import type { ChaosReport } from '../../actions/cookiemonster/report.js';
import { JobFailure } from '../../actions/lib/errors.js';
import { terminalContext } from '../../actions/lib/terminal-context.js';
import { repoRoot, runAction } from '../harness/run-action.js';
import { FakeKubeApi } from '../fakes/kube-api.js';

const example = path.join(repoRoot, 'test', 'fixtures', 'cookiemonster', 'config.yaml');
let api: FakeKubeApi;
let dir: string;
let kubeconfig: string;

/** The openstack namespace of a small TACO deployment, as the fake serves it. */
function openstack(fake: FakeKubeApi) {
  fake.addWorkload({
    kind: 'StatefulSet',
    namespace: 'openstack',
    name: 'mariadb',
    replicas: 3,
    readyDelayMs: 150,
  });
  fake.addWorkload({
    kind: 'StatefulSet',
    namespace: 'openstack',
    name: 'rabbitmq',
    replicas: 3,
    readyDelayMs: 150,
  });
  fake.addWorkload({
    kind: 'StatefulSet',
    namespace: 'openstack',
    name: 'mariadb-server',
    replicas: 3,
    readyDelayMs: 150,
  });
  fake.addWorkload({
    kind: 'StatefulSet',
    namespace: 'openstack',
    name: 'rabbitmq-rabbitmq',
    replicas: 3,
    readyDelayMs: 150,
  });
  fake.addWorkload({
    kind: 'Deployment',
    namespace: 'openstack',
    name: 'keystone-api',
    replicas: 2,
    labels: { application: 'keystone' },
    readyDelayMs: 150,
  });
  fake.addWorkload({
    kind: 'Deployment',
    namespace: 'openstack',
    name: 'nova-api',
    replicas: 2,
    labels: { application: 'nova' },
    readyDelayMs: 150,
  });
  fake.addWorkload({ kind: 'DaemonSet', namespace: 'openstack', name: 'openvswitch', readyDelayMs: 150 });
  fake.addWorkload({ kind: 'Deployment', namespace: 'kube-system', name: 'coredns', replicas: 2 });
}

function rallyTask(file: string, scenario: Record<string, unknown>, times: number) {
  writeFileSync(
    file,
    stringify({
      version: 2,
      title: 'HA load',
      subtasks: [
        {
          title: 'load',
          workloads: [
            { scenario, runner: { constant: { times, concurrency: 2 } }, sla: { failure_rate: { max: 0 } } },
          ],
        },
      ],
    }),
  );
}

function context(inputs: Record<string, string>) {
  const lines: string[] = [];
  const ctx = terminalContext({
    inputs,
    signal: new AbortController().signal,
    write: (t) => lines.push(t),
    tempDir: dir,
    workspace: dir,
    env: { PATH: process.env.PATH, HOME: process.env.HOME },
  });
  return { ctx, lines };
}

beforeEach(async () => {
  api = await FakeKubeApi.start();
  openstack(api);
  dir = mkdtempSync(path.join(os.tmpdir(), 'cookiemonster-'));
  kubeconfig = path.join(dir, 'kubeconfig');
  writeFileSync(kubeconfig, api.kubeconfig);
});
afterEach(async () => {
  await api.close();
  rmSync(dir, { recursive: true, force: true });
});

describe('cookiemonster run()', () => {
  it('runs the original cookiemonster config.yaml example unchanged (timing shortened by inputs)', async () => {
    const { ctx, lines } = context({
      kubeconfig,
      config: example,
      duration: '1s',
      interval: '300ms',
      seed: 'legacy',
      'max-concurrent-kills': '4',
      'recovery-timeout': '20s',
      profile: '',
    });
    await run(ctx);
    const output = lines.join('');
    expect(output).toContain('warning: config');
    expect(output).toContain('slack (notifications) is ignored');
    const report = JSON.parse(readFileSync(ctx.outputs.report, 'utf8')) as ChaosReport;
    const workloads = report.workloads.map((w) => w.workload);
    // mariadb and rabbitmq by name; one random Deployment and one random DaemonSet per tick.
    expect(workloads).toEqual(
      expect.arrayContaining([
        'StatefulSet openstack/mariadb',
        'StatefulSet openstack/rabbitmq',
        'DaemonSet openstack/openvswitch',
      ]),
    );
    expect(workloads.some((w) => w.startsWith('Deployment openstack/'))).toBe(true);
    expect(workloads.some((w) => w.includes('kube-system') || w.endsWith('/mariadb-server'))).toBe(false);
    expect(report.kills.find((k) => k.workload === 'StatefulSet openstack/mariadb')?.floor).toBe(2);
    expect(ctx.outputs.passed).toBe('true');
    expect(Number(ctx.outputs.kills)).toBe(report.kills.length);
    expect(api.disruptions().every((r) => r.path.includes('/namespaces/openstack/'))).toBe(true);
  });

  it('fails with the Rally SLA when the load fails, and correlates the failed iterations with the kills', async () => {
    const task = path.join(dir, 'failing-load.yaml');
    rallyTask(task, { 'Dummy.dummy_random_fail_in_atomic': { exception_probability: 1 } }, 6);
    const { ctx, lines } = context({
      kubeconfig,
      profile: '',
      namespaces: 'openstack',
      targets: stringify([{ kind: 'StatefulSet', name: 'mariadb-server' }]),
      duration: '2s',
      interval: '500ms',
      seed: 'sla',
      'rally-task': task,
      'recovery-timeout': '20s',
    });
    const error = await run(ctx).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(JobFailure);
    expect((error as Error).message).toContain('Rally SLA failed (6 of 6 iterations failed)');
    expect(ctx.outputs.passed).toBe('false');
    const report = JSON.parse(readFileSync(ctx.outputs.report, 'utf8')) as ChaosReport;
    expect(report.rally).toMatchObject({ slaPassed: false, crashed: false, iterations: 6 });
    expect(report.rally?.failedIterations).toHaveLength(6);
    expect(report.timeline.filter((e) => e.event === 'rally-iteration-failed')).toHaveLength(6);
    expect(ctx.summary.join('\n')).toContain('❌ SLA failed');
    // The load's progress while it ran, from Rally's iteration lines (which stay in rally.log).
    const output = lines.join('');
    expect(output).toContain('rally │ progress: 6 iterations finished: 0 ok, 6 failed\n');
    expect(output).not.toContain('| ITER: ');
  });
});

describe('cookiemonster run(): green means something was disrupted', () => {
  const chaosInputs = (targets: unknown[], extra: Record<string, string> = {}) =>
    context({
      kubeconfig,
      profile: '',
      namespaces: 'openstack',
      targets: stringify(targets),
      duration: '1s',
      interval: '300ms',
      seed: 'min-kills',
      'recovery-timeout': '20s',
      ...extra,
    });

  it('fails naming a target whose selector matches no workload; optional: true accepts it', async () => {
    const typo = { kind: 'Deployment', selector: 'application=nvoa' };
    const { ctx } = chaosInputs([{ kind: 'Deployment', name: 'keystone-api' }, typo]);
    const error = await run(ctx).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(JobFailure);
    expect((error as Error).message).toContain(
      "Input 'targets' item 2: Deployments matching application=nvoa matched no workload",
    );
    expect(ctx.outputs.passed).toBe('false');

    const optional = chaosInputs([
      { kind: 'Deployment', name: 'keystone-api' },
      { ...typo, optional: true },
    ]);
    await run(optional.ctx);
    expect(optional.ctx.outputs.passed).toBe('true');
  });

  it('fails when every kill was refused, naming the refusal; min-kills raises the bar per target', async () => {
    api.addPdb({
      namespace: 'openstack',
      name: 'keystone',
      selector: { app: 'keystone-api' },
      minAvailable: 2,
    });
    const { ctx } = chaosInputs([{ kind: 'Deployment', name: 'keystone-api' }], { 'kill-mode': 'evict' });
    const error = await run(ctx).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(JobFailure);
    expect((error as Error).message).toMatch(
      /Input 'targets' item 1: 0 disruptive kill\(s\), 1 required \((\d+× )?refused: HTTP 429: Cannot evict pod as it would violate the pod's disruption budget/,
    );
    expect(ctx.outputs.kills).toBe('0');

    const tooFew = chaosInputs([{ kind: 'StatefulSet', name: 'mariadb-server' }], { 'min-kills': '50' });
    const shortfall = await run(tooFew.ctx).catch((e: unknown) => e);
    expect((shortfall as Error).message).toMatch(
      /Input 'targets' item 1: \d+ disruptive kill\(s\), 50 required/,
    );
  });

  it('a dry run needs no disruption', async () => {
    const { ctx } = chaosInputs([{ kind: 'Deployment', name: 'keystone-api' }], { 'dry-run': 'true' });
    await run(ctx);
    expect(ctx.outputs.passed).toBe('true');
    expect(api.disruptions()).toEqual([]);
  });
});

describe('the bundled action', () => {
  it('on Node 24: a full run with Rally Dummy load gives the timeline, the gantt chart and a pass', async () => {
    const task = path.join(dir, 'load.yaml');
    rallyTask(task, { 'Dummy.dummy': { sleep: 0.2 } }, 8);
    const result = await runAction('cookiemonster', {
      node: '24',
      inputs: {
        profile: '',
        kubeconfig: api.kubeconfig,
        namespaces: 'openstack',
        targets: stringify([
          { kind: 'StatefulSet', name: 'mariadb-server', 'pods-per-tick': 2 },
          { kind: 'Deployment', selector: 'application=keystone' },
          { kind: 'DaemonSet', name: 'openvswitch' },
        ]),
        duration: '2s',
        interval: '400ms',
        seed: 'bundle',
        // Room for every target's kill at once: each target needs its min-kills (default 1).
        'max-concurrent-kills': '4',
        'kill-mode': 'evict',
        'grace-period': '1s',
        'recovery-timeout': '30s',
        'rally-task': task,
      },
    });
    expect(result.stderr).not.toContain('Internal error');
    expect(result.exitCode, result.stdout.slice(-3000)).toBe(0);
    expect(result.outputs.passed).toBe('true');
    expect(Number(result.outputs.kills)).toBeGreaterThan(0);
    expect(Number(result.outputs['max-recovery-seconds'])).toBeGreaterThan(0);
    // The kubeconfig given as content is masked, and the credential in it on its own.
    expect(result.stdout).toContain('::add-mask::fake-token\n');
    expect(
      result.stdout.split('\n').filter((l) => !l.startsWith('::add-mask::') && l.includes('fake-token')),
    ).toEqual([]);
    const report = JSON.parse(readFileSync(result.outputs.report, 'utf8')) as ChaosReport;
    expect(report.seed).toBe('bundle');
    expect(report.rally).toMatchObject({ slaPassed: true, iterations: 8, failedIterations: [] });
    const events = report.timeline.map((e) => e.event);
    expect(events[0]).toBe('chaos-start');
    expect(events.filter((e) => e === 'kill').length).toBe(Number(result.outputs.kills));
    expect(events.filter((e) => e === 'recovered').length).toBe(Number(result.outputs.kills));
    expect(result.summary).toContain('```mermaid\ngantt');
    expect(result.summary).toMatch(/mariadb-server-\d [\d.]+s :done, k1, \d{13}, \d{13}/);
    expect(result.summary).toContain('### Rally load: ✅ SLA passed');
    expect(api.minServing('StatefulSet', 'openstack', 'mariadb-server')).toBeGreaterThanOrEqual(2);
  });

  it('on the current Node (20): bad input is a clear error; cancellation stops the chaos and still reports', async () => {
    const bad = await runAction('cookiemonster', {
      inputs: { profile: '', kubeconfig: api.kubeconfig, namespaces: 'openstack', targets: '[{kind: Pod}]' },
    });
    expect(bad.exitCode).toBe(1);
    expect(bad.annotations.find((a) => a.level === 'error')?.message).toBe(
      "Input 'targets' item 1 key 'kind': expected Deployment, StatefulSet or DaemonSet, got \"Pod\"",
    );

    const cancelled = await runAction('cookiemonster', {
      // Late enough for the bundle to load and the chaos to start even on a busy machine.
      cancelAfterMs: 15_000,
      inputs: {
        profile: '',
        kubeconfig: api.kubeconfig,
        namespaces: 'openstack',
        targets: '[{kind: Deployment, name: nova-api}]',
        duration: '10m',
        interval: '200ms',
        'recovery-timeout': '1m',
      },
    });
    expect(cancelled.exitCode).toBe(1);
    expect(cancelled.summary).toContain('the run was cancelled');
    expect(cancelled.outputs.passed).toBe('false');
    expect(existsSync(cancelled.outputs.report)).toBe(true);
    const report = JSON.parse(readFileSync(cancelled.outputs.report, 'utf8')) as ChaosReport;
    expect(report.cancelled).toBe(true);
    expect(api.disruptions().length).toBe(report.kills.length);
  });
});

describe('taco-ci run cookiemonster', () => {
  it('--dry-run against the fake shows the planned kills from the local profile and disrupts nothing', async () => {
    const child = spawn(
      process.execPath,
      [
        path.join(repoRoot, 'bin', 'taco-ci.js'),
        'run',
        'cookiemonster',
        '--dry-run',
        '--profile',
        'local',
        '--input',
        `kubeconfig=${kubeconfig}`,
        '--input',
        'duration=1s',
        '--input',
        'interval=400ms',
        '--input',
        'max-concurrent-kills=3',
      ],
      {
        cwd: dir,
        env: { PATH: process.env.PATH, HOME: process.env.HOME },
      },
    );
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (d) => (stdout += d));
    child.stderr.on('data', (d) => (stderr += d));
    const code = await new Promise((resolve) => child.on('close', resolve));
    expect(code, stderr).toBe(0);
    expect(stdout).toContain('seed local');
    expect(stdout).toMatch(/would delete openstack\/mariadb-server-\d/);
    expect(stdout).toMatch(/would delete openstack\/keystone-api-/);
    expect(stdout).toMatch(/would delete openstack\/rabbitmq-rabbitmq-\d/);
    expect(stdout).toContain('cookiemonster: dry run');
    expect(stdout).toMatch(/kills=[1-9]/);
    expect(api.disruptions()).toEqual([]);
  });
});
