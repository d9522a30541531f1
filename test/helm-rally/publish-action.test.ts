/**
 * Publishing through the bundled action (dist/helm-rally/index.js, Node 24, the runner's way) and
 * through `taco-ci run`: a real Rally task passes, the real helm deploys to the fake Kubernetes API,
 * a real docker-registry receives the chart.
 */
import { spawn } from 'node:child_process';
import { cpSync, existsSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { repoRoot, runAction, runPost } from '../harness/run-action.js';
import { FakeArmadaKubeApi } from '../fakes/armada-kube-api.js';
import { realHelmOnPath, type HelmOnPath } from '../support/helm.js';
import { type TestRegistry, startRegistry } from '../support/registry.js';

const fixtures = path.join(repoRoot, 'test', 'fixtures', 'helm-rally');
let registry: TestRegistry;
let api: FakeArmadaKubeApi;
const dirs: string[] = [];

beforeAll(async () => {
  if (!existsSync(path.join(repoRoot, 'dist', 'helm-rally', 'index.js')))
    throw new Error('Build the bundle first: node scripts/build.js helm-rally');
  registry = await startRegistry();
  api = await FakeArmadaKubeApi.start();
}, 60_000);
afterAll(async () => {
  await registry?.stop();
  await api?.close();
  dirs.forEach((d) => rmSync(d, { recursive: true, force: true }));
});

function workspace(namespace: string): { dir: string; helm: HelmOnPath } {
  const dir = mkdtempSync(path.join(os.tmpdir(), 'helm-rally-publish-action-'));
  dirs.push(dir);
  writeFileSync(path.join(dir, 'kubeconfig'), api.kubeconfig(), { mode: 0o600 });
  cpSync(path.join(fixtures, 'charts'), path.join(dir, 'charts'), { recursive: true });
  cpSync(path.join(fixtures, 'dummy-pass.yaml'), path.join(dir, 'pass.yaml'));
  writeFileSync(
    path.join(dir, 'profile.yaml'),
    `name: publish-action
registry:
  url: ${registry.host}/${namespace}
rally:
  task: pass.yaml
  task-args: {sleep: 0, times: 2}
  deployment: {name: dummy, spec: {}}
  helm:
    namespace-prefix: taco-unit
`,
  );
  return { dir, helm: realHelmOnPath(dir) };
}

async function tags(repository: string): Promise<string[]> {
  const res = await fetch(`${registry.url}/v2/${repository}/tags/list`);
  if (res.status === 404) return [];
  return ((await res.json()) as { tags: string[] | null }).tags ?? [];
}

describe('helm-rally publish, bundled', () => {
  it('on Node 24: SLA passed → chart pushed with the default candidate c.<yyyymmdd>.<run number>', async () => {
    const { dir, helm } = workspace('bundle');
    const env = { ...helm.env, GITHUB_RUN_NUMBER: '42', GITHUB_RUN_ID: '9001', GITHUB_RUN_ATTEMPT: '1' };
    const run = await runAction('helm-rally', {
      node: '24',
      cwd: dir,
      env,
      inputs: {
        profile: 'profile.yaml',
        mode: 'rally',
        chart: './charts/keystone',
        kubeconfig: 'kubeconfig',
      },
    });
    expect(run.stderr).toBe('');
    expect(run.exitCode).toBe(0);
    expect(run.outputs['sla-passed']).toBe('true');
    const chart = JSON.parse(run.outputs.chart) as {
      name: string;
      version: string;
      ref: string;
      digest: string;
    };
    expect(chart.name).toBe('keystone');
    expect(chart.version).toMatch(/^0\.3\.1-c\.\d{8}\.42$/);
    expect(chart.ref).toBe(`${registry.host}/bundle/charts/keystone:${chart.version}`);
    expect(await tags('bundle/charts/keystone')).toEqual([chart.version]);
    const head = await fetch(`${registry.url}/v2/bundle/charts/keystone/manifests/${chart.version}`, {
      method: 'HEAD',
      headers: { accept: 'application/vnd.oci.image.manifest.v1+json' },
    });
    expect(head.headers.get('docker-content-digest')).toBe(chart.digest);
    expect(run.stdout).toMatch(/::group::Publish chart keystone 0\.3\.1-c\.\d{8}\.42/);
    const post = await runPost('helm-rally', run, { node: '24', cwd: dir, env });
    expect(post.exitCode).toBe(0);
    // Each step (main, post) asks helm for its version once.
    expect(helm.calls().map((argv) => argv[0])).toEqual(['version', 'upgrade', 'version', 'uninstall']);
    expect(api.list('secrets', 'taco-unit-9001-1')).toEqual([]);
  }, 300_000);

  it('taco-ci run: an invalid candidate exits 2 before anything runs', async () => {
    const { dir, helm } = workspace('cli');
    const result = await new Promise<{ code: number | null; out: string }>((resolve) => {
      const child = spawn(
        process.execPath,
        [
          path.join(repoRoot, 'bin', 'taco-ci.js'),
          'run',
          'helm-rally',
          '--profile',
          path.join(dir, 'profile.yaml'),
          '--input',
          'chart=./charts/keystone',
          '--input',
          'candidate=c.007',
        ],
        {
          cwd: dir,
          env: { ...process.env, ...helm.env, GITHUB_ACTIONS: undefined },
        },
      );
      let out = '';
      child.stdout.on('data', (d) => (out += d));
      child.stderr.on('data', (d) => (out += d));
      child.on('close', (code) => resolve({ code, out }));
    });
    expect(result.out).toContain(`Input 'candidate': "c.007" cannot be a semver pre-release`);
    expect(result.code).toBe(2);
    expect(helm.calls()).toEqual([]);
    expect(await tags('cli/charts/keystone')).toEqual([]);
  });
});
