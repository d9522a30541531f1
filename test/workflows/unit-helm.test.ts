/**
 * unit-helm.yml end to end with the built-in local profile: the caller's repository (a real git
 * repository) holds helm-toolkit and a keystone chart; the changes job finds keystone, the matrix
 * job creates its per-run namespace with real kubectl and deploys the chart with the real helm, both
 * against the fake Kubernetes API (no real cluster here; the runner's own KUBECONFIG),
 * runs its helm test, publishes it to a real docker-registry, and the published job collects it.
 */
import { execFileSync } from 'node:child_process';
import { cpSync, mkdtempSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { FakeArmadaKubeApi } from '../fakes/armada-kube-api.js';
import { repoRoot } from '../harness/run-action.js';
import { realHelmOnPath } from '../support/helm.js';
import { startRegistry, type TestRegistry } from '../support/registry.js';
import { localProfile, runLocalWorkflow } from './support.js';

let registry: TestRegistry;
let api: FakeArmadaKubeApi;
let site: string;

beforeAll(async () => {
  registry = await startRegistry();
  api = await FakeArmadaKubeApi.start();
  site = mkdtempSync(path.join(os.tmpdir(), 'unit-helm-site-'));
  cpSync(path.join(repoRoot, 'test', 'fixtures', 'helm-rally', 'charts'), path.join(site, 'charts'), {
    recursive: true,
  });
  const git = (...args: string[]) =>
    execFileSync('git', ['-c', 'user.name=t', '-c', 'user.email=t@example.com', ...args], { cwd: site });
  git('init', '--quiet', '-b', 'main');
  git('add', '.');
  git('commit', '--quiet', '-m', 'charts');
}, 60_000);
afterAll(async () => {
  await api?.close();
  await registry?.stop();
});

describe('unit-helm.yml with the local profile', () => {
  it('tests the charts of the change one job each and publishes the ones that passed', async () => {
    const dir = mkdtempSync(path.join(os.tmpdir(), 'unit-helm-workflow-'));
    const helm = realHelmOnPath(path.join(dir, 'helm'));
    const profile = localProfile(dir, {
      registry: { url: `${registry.host}/taco`, insecure: true },
      rally: { helm: { 'namespace-prefix': 'taco-unit' } },
    });
    const run = await runLocalWorkflow('unit-helm', {
      inputs: { profile, 'charts-dir': 'charts', mode: 'helm-test', candidate: 'c.20261206.1' },
      kubeconfig: api.kubeconfig(),
      callerRepo: site,
      env: {
        ...helm.env,
      },
    });
    expect(run.result, run.log).toBe('success');
    expect(JSON.parse(run.jobs.changes.outputs.charts)).toEqual(['charts/keystone']);
    const charts = JSON.parse(run.outputs.charts) as {
      name: string;
      version: string;
      ref: string;
      digest: string;
    }[];
    expect(charts.map((c) => [c.name, c.version])).toEqual([['keystone', '0.3.1-c.20261206.1']]);
    const head = await fetch(`${registry.url}/v2/taco/charts/keystone/manifests/0.3.1-c.20261206.1`, {
      method: 'HEAD',
      headers: { accept: 'application/vnd.oci.image.manifest.v1+json' },
    });
    expect(head.headers.get('docker-content-digest')).toBe(charts[0].digest);
    // The rally job made its per-run namespace (Pod Security labels) and the stage account's binding, then removed it.
    const [namespace] = api.created('namespaces');
    const [binding] = api.created('rolebindings');
    expect(namespace.metadata).toMatchObject({
      name: expect.stringMatching(/^taco-unit-\d+-1-0$/),
      labels: {
        'pod-security.kubernetes.io/enforce': 'baseline',
        'pod-security.kubernetes.io/warn': 'restricted',
        'taco.example/per-run-namespace': 'helm-rally',
      },
    });
    expect(binding).toMatchObject({
      metadata: { name: 'taco-helm-rally', namespace: namespace.metadata.name },
      roleRef: { kind: 'ClusterRole', name: 'taco-helm-rally-release' },
      subjects: [{ kind: 'ServiceAccount', name: 'taco-helm-rally', namespace: 'arc-runners' }],
    });
    expect(api.list('namespaces').map((n) => n.metadata.name)).not.toContain(namespace.metadata.name);
  });
});
