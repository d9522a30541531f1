import { spawn, spawnSync } from 'node:child_process';
import { existsSync, readFileSync, readdirSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { readActionYaml, repoRoot, runAction, runPost } from '../harness/run-action.js';
import { Inputs, Outputs } from '../../actions/deploy-armada/inputs.js';
import { FakeArmadaKubeApi } from '../fakes/armada-kube-api.js';
import { makeWorld } from './world.js';

const cli = (args: string[], env: Record<string, string> = {}, cwd = repoRoot) =>
  spawnSync(process.execPath, [path.join(repoRoot, 'bin', 'taco-ci.js'), ...args], {
    cwd,
    env: { ...process.env, ...env },
    encoding: 'utf8',
    timeout: 120_000,
  });

/** Asynchronous, so that the fake kube API in this process can answer the CLI meanwhile. */
function cliAsync(
  args: string[],
  env: Record<string, string>,
): Promise<{ status: number | null; stdout: string; stderr: string }> {
  return new Promise((resolve) => {
    const child = spawn(process.execPath, [path.join(repoRoot, 'bin', 'taco-ci.js'), ...args], {
      cwd: repoRoot,
      env: { ...process.env, ...env },
    });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (d) => (stdout += d));
    child.stderr.on('data', (d) => (stderr += d));
    child.on('close', (status) => resolve({ status, stdout, stderr }));
  });
}

describe('deploy-armada action.yml', () => {
  it('declares exactly the inputs and outputs the code reads and sets', () => {
    const meta = readActionYaml('deploy-armada') as {
      inputs: Record<string, unknown>;
      outputs: Record<string, unknown>;
      runs: Record<string, string>;
    };
    expect(Object.keys(meta.inputs).sort()).toEqual(Object.values(Inputs).sort());
    expect(Object.keys(meta.outputs).sort()).toEqual(Object.values(Outputs).sort());
    expect(meta.runs).toMatchObject({
      using: 'node24',
      main: '../dist/deploy-armada/index.js',
      post: '../dist/deploy-armada/index.js',
      'post-if': 'always()',
    });
  });
});

let api: FakeArmadaKubeApi;
beforeAll(async () => {
  api = await FakeArmadaKubeApi.start();
});
afterAll(async () => {
  await api.close();
});

describe('the bundled action (Node 24)', () => {
  it('plans without deploying on dry-run, secrets blanked from the plan', async () => {
    const world = makeWorld();
    const run = await runAction('deploy-armada', {
      node: '24',
      inputs: { profile: world.profile, 'dry-run': 'true' },
      env: world.env,
    });
    expect(run.stderr).toBe('');
    expect(run.exitCode).toBe(0);
    const plan = JSON.parse(run.outputs.plan);
    expect(
      plan.groups.map((g: { name: string; charts: { release: string }[] }) => [
        g.name,
        g.charts.map((c) => c.release),
      ]),
    ).toEqual([
      ['infra', ['taco-mariadb', 'taco-memcached']],
      ['services', ['taco-keystone', 'taco-glance']],
    ]);
    // The output stays small; the file has every chart's final values.
    expect(plan.groups[0].charts[0].values).toBeUndefined();
    const full = JSON.parse(readFileSync(run.outputs['plan-file'], 'utf8'));
    expect(full.groups[0].charts[0].values.endpoints.oslo_db.auth.admin.password).toBe('***');
    expect(readFileSync(run.outputs['plan-file'], 'utf8')).not.toContain('db-Secret-42');
    expect(JSON.parse(run.outputs.releases).map((r: { status: string }) => r.status)).toEqual([
      'planned',
      'planned',
      'planned',
      'planned',
    ]);
    expect(run.summary).toContain('└─ taco-glance ← chart glance in openstack');
    const printed = run.stdout.split('\n').filter((line) => !line.startsWith('::add-mask::'));
    expect(`${printed.join('\n')}${run.summary}${run.outputs.plan}`).not.toContain('db-Secret-42');
    expect(world.calls()).toEqual([]);
  });

  it('does not start a deployment without its secrets', async () => {
    const world = makeWorld();
    const run = await runAction('deploy-armada', {
      node: '24',
      inputs: { profile: world.profile },
      env: { ...world.env, SITE_MARIADB_PASSWORD: '' },
    });
    expect(run.exitCode).toBe(1);
    expect(run.annotations.find((a) => a.level === 'error')?.message).toContain(
      'armada.variables.MARIADB_ADMIN_PASSWORD takes a secret from environment variable SITE_MARIADB_PASSWORD, which is not set',
    );
    expect(world.calls()).toEqual([]);
  });
});

/** The deployment itself goes through the argv, waits, status JSON and failure texts that differ per major. */
describe.each([3, 4] as const)('the bundled action (Node 24) deploying with Helm %i', (major) => {
  // Its own fake cluster per helm: the second test finds the first one's releases.
  let api: FakeArmadaKubeApi;
  let defaultOutcome: FakeArmadaKubeApi['podOutcome'];
  beforeAll(async () => {
    api = await FakeArmadaKubeApi.start();
    defaultOutcome = api.podOutcome;
  });
  afterAll(() => api.close());

  it('deploys with the helm CLI and the kube API, kubeconfig in a 0600 file that the post step removes', async () => {
    const world = makeWorld(major);
    api.state.pods = [
      {
        metadata: {
          name: 'keystone-api-0',
          namespace: 'openstack',
          labels: { release_group: 'osh-keystone' },
        },
        status: { phase: 'Running', conditions: [{ type: 'Ready', status: 'True' }] },
      },
    ];
    const run = await runAction('deploy-armada', {
      node: '24',
      inputs: {
        profile: world.profile,
        kubeconfig: api.kubeconfig(),
        images: JSON.stringify([
          {
            name: 'keystone',
            ref: '127.0.0.1:5000/taco/keystone:2026.11.25',
            digest: null,
            tests: { passed: 4, failed: 0, skipped: 0 },
          },
        ]),
        set: 'chart:memcached:values.pod.replicas.server=3',
        timeout: '10m',
      },
      env: world.env,
    });
    expect(run.stderr).toBe('');
    expect(run.exitCode).toBe(0);
    const releases = JSON.parse(run.outputs.releases);
    expect(
      releases.map((r: { release: string; revision: number; status: string; test?: string }) => [
        r.release,
        r.revision,
        r.status,
        r.test,
      ]),
    ).toEqual([
      ['taco-mariadb', 1, 'deployed', 'not run'],
      ['taco-memcached', 1, 'deployed', 'not run'],
      ['taco-keystone', 1, 'deployed', 'passed'],
      ['taco-glance', 1, 'deployed', 'not run'],
    ]);
    const upgrades = world.calls().filter((argv) => argv[0] === 'upgrade');
    expect(upgrades.map((argv) => argv[1])).toEqual(
      expect.arrayContaining(['taco-mariadb', 'taco-memcached', 'taco-keystone', 'taco-glance']),
    );
    const keystone = upgrades.find((argv) => argv[1] === 'taco-keystone')!;
    const kubeconfig = keystone[keystone.indexOf('--kubeconfig') + 1];
    expect(kubeconfig.startsWith(path.join(run.runnerDir, 'temp'))).toBe(true);
    expect(run.stdout).not.toContain('group-readable');
    expect(world.calls().flat().join(' ')).not.toContain('db-Secret-42');
    // helm-toolkit was packaged into the chart, and the built image replaced the manifest's tag
    const chartDir = keystone[2];
    expect(existsSync(path.join(chartDir, 'charts', 'helm-toolkit', 'Chart.yaml'))).toBe(true);
    const valuesFile = keystone[keystone.indexOf('--values') + 1];
    expect(readFileSync(valuesFile, 'utf8')).toContain(
      'keystone_api: 127.0.0.1:5000/taco/keystone:2026.11.25',
    );
    expect(api.calls.some((c) => c.query.labelSelector === 'release_group=osh-keystone')).toBe(true);
    expect(run.summary).toContain('## deploy-armada: deployed');

    expect(existsSync(kubeconfig)).toBe(true);
    const post = await runPost('deploy-armada', run, { node: '24', env: world.env });
    expect(post.exitCode).toBe(0);
    expect(existsSync(kubeconfig)).toBe(false);
    expect(existsSync(valuesFile)).toBe(false);
  });

  it('fails the job on a failed chart, stops there and leaves diagnostics', async () => {
    const world = makeWorld(major);
    api.state.pods = [];
    // keystone's db-sync hook pod fails: helm fails the install and records the release as failed.
    api.podOutcome = (pod) => (pod.metadata.name === 'taco-keystone-db-sync' ? 'Failed' : 'Ready');
    const run = await runAction('deploy-armada', {
      node: '24',
      inputs: { profile: world.profile, kubeconfig: api.kubeconfig() },
      env: world.env,
    }).finally(() => (api.podOutcome = defaultOutcome));
    expect(run.exitCode).toBe(1);
    const error = run.annotations.find((a) => a.level === 'error');
    expect(error?.message).toContain('Deployment failed in chart group services: taco-keystone');
    const releases = JSON.parse(run.outputs.releases);
    expect(releases.find((r: { release: string }) => r.release === 'taco-glance').status).toBe('skipped');
    expect(world.calls().some((argv) => argv[0] === 'upgrade' && argv[1] === 'taco-glance')).toBe(false);
    const dir = run.outputs.diagnostics;
    expect(readdirSync(dir)).toEqual(['openstack.taco-keystone']);
    expect(
      JSON.parse(readFileSync(path.join(dir, 'openstack.taco-keystone', 'helm-status.json'), 'utf8')),
    ).toMatchObject({ status: 'failed' });
    expect(run.summary).toContain('### Diagnostics');
    // The fake cluster is shared by the tests: keystone exists from the previous one, so it upgrades.
    expect(run.summary).toMatch(/pre-(install|upgrade) hooks failed/);
    expect(run.summary).toContain('pod taco-keystone-db-sync failed');
  });
});

describe('taco-ci', () => {
  it('plans the bundled example manifest for the dev profile', () => {
    const result = cli(['plan', '--profile', 'profiles/dev.yaml']);
    expect(result.status).toBe(0);
    expect(result.stdout).toContain('deploy Armada manifest taco-openstack with helm');
    for (const release of [
      'taco-ingress',
      'taco-mariadb',
      'taco-rabbitmq',
      'taco-memcached',
      'taco-keystone',
      'taco-glance',
      'taco-nova',
      'taco-neutron',
      'taco-ceph-provisioners',
    ]) {
      expect(result.stdout).toContain(`${release} ← chart`);
    }
    expect(result.stdout).not.toContain('taco-helm-toolkit');
  });

  it('validates manifests with located problems', () => {
    const world = makeWorld();
    const broken = path.join(world.dir, 'broken.yaml');
    writeFileSync(
      broken,
      readFileSync(world.manifest, 'utf8').replace('sequenced: true', 'sequenced: yes please'),
    );
    const result = cli([
      'validate',
      '--no-workflows',
      '--manifest',
      'examples/armada/openstack.yaml',
      '--manifest',
      broken,
    ]);
    expect(result.status).toBe(2);
    expect(result.stderr.trim().split('\n')).toEqual([
      expect.stringMatching(
        /broken\.yaml:\d+:\d+ \[ChartGroup services\] data\.sequenced: expected true or false, got "yes please"$/,
      ),
      '1 problem found.',
    ]);
  });

  it('runs the action with the real helm', async () => {
    const world = makeWorld();
    const real = await cliAsync(
      ['run', 'deploy-armada', '--profile', world.profile, '--input', `kubeconfig=${api.kubeconfig()}`],
      world.env,
    );
    expect(real.stderr).toBe('');
    expect(real.status).toBe(0);
    expect(real.stdout).toContain('1. infra — parallel, up to 2 at once');
    expect(real.stdout).toMatch(
      /releases=\[\{"release":"taco-mariadb","chart":"mariadb","namespace":"openstack","revision":\d+,"status":"deployed"/,
    );
  });
});
