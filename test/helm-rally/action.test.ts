/**
 * The bundled action (dist/helm-rally/index.js) run the way the runner runs it: a real Rally task
 * on Node 24, report mode on a recorded report, and cleanup after a cancel (the real helm on the
 * fake Kubernetes API).
 */
import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { parseJUnitXml } from '../support/junit-xml.js';
import { readActionYaml, repoRoot, runAction, runPost } from '../harness/run-action.js';
import { FakeArmadaKubeApi } from '../fakes/armada-kube-api.js';
import { realHelmOnPath } from '../support/helm.js';
import { writeTestChart } from '../support/helm-cluster.js';

const fixtures = path.join(repoRoot, 'test', 'fixtures', 'helm-rally');
const recordedRally = path.join(repoRoot, 'test', 'fixtures', 'recorded', 'rally');
const dirs: string[] = [];
afterAll(() => dirs.forEach((d) => rmSync(d, { recursive: true, force: true })));
const tempDir = () => {
  const dir = mkdtempSync(path.join(os.tmpdir(), 'helm-rally-action-'));
  dirs.push(dir);
  return dir;
};

beforeAll(() => {
  if (!existsSync(path.join(repoRoot, 'dist', 'helm-rally', 'index.js')))
    throw new Error('Build the bundle first: node scripts/build.js helm-rally');
});

describe('helm-rally bundle', () => {
  it('declares every input and output it uses, with a post step that always runs', () => {
    const meta = readActionYaml('helm-rally') as ReturnType<typeof readActionYaml> & {
      runs: { 'post-if'?: string };
    };
    expect(meta.runs).toMatchObject({
      using: 'node24',
      main: '../dist/helm-rally/index.js',
      post: '../dist/helm-rally/index.js',
      'post-if': 'always()',
    });
    expect(Object.keys(meta.outputs ?? {}).sort()).toEqual(
      ['junit', 'namespace', 'release', 'report-html', 'report-json', 'sla-passed', 'chart'].sort(),
    );
  });

  it.concurrent(
    'runs a real Rally task on Node 24: SLA passed, reports as outputs',
    async () => {
      const run = await runAction('helm-rally', {
        node: '24',
        cwd: fixtures,
        inputs: {
          profile: 'profile-dummy.yaml',
          mode: 'rally',
          task: 'dummy-pass.yaml',
          'task-args': '{sleep: 0, times: 2}',
        },
      });
      expect(run.stderr).toBe('');
      expect(run.exitCode).toBe(0);
      expect(run.outputs['sla-passed']).toBe('true');
      const report = JSON.parse(readFileSync(run.outputs['report-json'], 'utf8')) as {
        tasks: { pass_sla: boolean; subtasks: { workloads: { total_iteration_count: number }[] }[] }[];
      };
      expect(report.tasks[0].pass_sla).toBe(true);
      expect(report.tasks[0].subtasks[0].workloads[0].total_iteration_count).toBe(2);
      expect(readFileSync(run.outputs['report-html'], 'utf8')).toContain('<html');
      expect(parseJUnitXml(readFileSync(run.outputs.junit, 'utf8'))[0].cases[0].status).toBe('passed');
      expect(run.summary).toContain('SLA passed');
      expect(run.summary).toContain('| ✅ | dummy sleeps | `Dummy.dummy` | constant 2×2 | 2/2 |');
      // Rally's output is in the log, inside a group, its iterations counted into progress lines.
      expect(run.stdout).toMatch(/::group::rally task start dummy-pass.yaml/);
      expect(run.stdout).toContain('progress: 2 iterations finished: 2 ok, 0 failed\n');
      const post = await runPost('helm-rally', run, { node: '24' });
      expect(post.exitCode).toBe(0);
    },
    300_000,
  );

  it.concurrent('report mode: a recorded failing report fails the step with annotations', async () => {
    const run = await runAction('helm-rally', {
      cwd: recordedRally,
      inputs: {
        profile: path.join(fixtures, 'profile-dummy.yaml'),
        mode: 'report',
        'rally-report': 'report-sla-failed.json',
      },
    });
    expect(run.exitCode).toBe(1);
    expect(run.outputs).toMatchObject({
      'sla-passed': 'false',
      'report-json': path.join(recordedRally, 'report-sla-failed.json'),
      release: '',
      namespace: '',
    });
    const errors = run.annotations.filter((a) => a.level === 'error');
    expect(errors.map((a) => a.properties.title)).toEqual([
      'SLA failed: dummy fails / Dummy.dummy_random_fail_in_atomic #0',
      'Dummy.dummy_random_fail_in_atomic: 3 of 3 iterations failed',
      undefined,
    ]);
    expect(errors.at(-1)!.message).toMatch(
      /^Rally SLA failed \(.*report-sla-failed.json\): 1 of 2 workloads failed their SLA/,
    );
    expect(run.summary).toContain('Failing SLA criteria');
    expect(parseJUnitXml(readFileSync(run.outputs.junit, 'utf8'))[0].cases.map((c) => c.status)).toEqual([
      'passed',
      'failed',
    ]);
  });

  it.concurrent(
    'cleans up after a cancel during the deploy: helm uninstall and the per-run namespace deleted',
    async () => {
      const dir = tempDir();
      const api = await FakeArmadaKubeApi.start();
      // The chart's pods never get ready, so `helm upgrade --wait` runs until it is stopped.
      api.podOutcome = () => 'Pending';
      try {
        writeFileSync(path.join(dir, 'kubeconfig'), api.kubeconfig(), { mode: 0o600 });
        writeTestChart(dir, { name: 'keystone', server: true });
        const helm = realHelmOnPath(dir);
        // The runner's cancel (SIGINT to the action) arrives a second into `helm upgrade`.
        const cancelling = path.join(dir, 'helm-then-cancel');
        writeFileSync(
          cancelling,
          `#!/bin/sh\n[ "$1" = upgrade ] && (sleep 1; kill -INT $PPID) &\nexec helm "$@"\n`,
          { mode: 0o755 },
        );
        writeFileSync(
          path.join(dir, 'profile.yaml'),
          `name: cancel\nrally:\n  helm:\n    binary: ${cancelling}\n    namespace-prefix: taco-unit\n`,
        );
        writeFileSync(path.join(dir, 'task.yaml'), readFileSync(path.join(fixtures, 'dummy-pass.yaml')));
        const env = { ...helm.env, GITHUB_RUN_ATTEMPT: '3' };
        const inputs = {
          profile: 'profile.yaml',
          mode: 'rally',
          task: 'task.yaml',
          chart: './keystone',
          kubeconfig: 'kubeconfig',
          publish: 'false',
        };
        const main = await runAction('helm-rally', { cwd: dir, inputs, env });
        expect(main.stderr).toBe('');
        expect(main.exitCode).toBe(1);
        expect(main.annotations.find((a) => a.level === 'error')?.message).toMatch(
          /^Cancelled: helm upgrade --install keystone/,
        );
        expect(main.outputs).toMatchObject({ release: 'keystone', namespace: 'taco-unit-1-3' });
        const post = await runPost('helm-rally', main, { cwd: dir, env });
        expect(post.exitCode).toBe(0);
        const calls = helm.calls().filter((argv) => argv[0] !== 'version');
        expect(calls.map((args) => args[0])).toEqual(['upgrade', 'uninstall']);
        expect(calls[1]).toEqual(
          expect.arrayContaining([
            'keystone',
            '--namespace',
            'taco-unit-1-3',
            '--kubeconfig',
            path.join(dir, 'kubeconfig'),
          ]),
        );
        const namespaceDeletes = api.calls.filter(
          (c) => c.method === 'DELETE' && /^\/api\/v1\/namespaces\/[^/]+$/.test(c.path),
        );
        expect(namespaceDeletes.map((c) => c.path)).toEqual(['/api/v1/namespaces/taco-unit-1-3']);
        expect(post.stdout).toContain('Release keystone: done; namespace taco-unit-1-3: deleted.');
      } finally {
        await api.close();
      }
    },
  );
});
