/**
 * nightly.yml end to end on this machine with the built-in local profile (its loopback ports and
 * paths replaced by this test's): the candidate images and charts in a real docker-registry, the
 * candidate release artifact built from them, deploy-armada deploying it against the fake
 * Kubernetes API with the real helm (no real cluster here), real Tempest against a closed Keystone
 * port (so its tests fail for real), the merge of the shard artifacts, cookiemonster killing pods
 * of the fake cluster, and the ledger entry. One Kubernetes API address (the runner's own KUBECONFIG,
 * as a stage runner's service account; no workflow secret) serves the Armada fake and the workload fake. One Tempest shard: a second `tempest init` on the
 * same host fails until each run gets its own workspace name (issue 15 item 4).
 */
import { existsSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { FakeArmadaKubeApi } from '../fakes/armada-kube-api.js';
import { FakeKubeApi } from '../fakes/kube-api.js';
import { RoutedKubeApi } from '../fakes/routed-kube-api.js';
import { packageChart, pushChart } from '../../actions/lib/charts/index.js';
import {
  FIXTURES,
  SITE_MANIFEST,
  startReleaseWorld,
  type ReleaseWorld,
} from '../deploy-armada/release-world.js';
import { realHelmOnPath } from '../support/helm.js';
import { freePort } from '../support/ports.js';
import { jobLog, localProfile, runLocalWorkflow, type LocalRun } from './support.js';

const CANDIDATE = 'nightly-20261125';
const ARMADA_SECRETS = {
  TACO_KEYSTONE_ADMIN_PASSWORD: 'ks-Admin-41',
  TACO_MARIADB_ADMIN_PASSWORD: 'db-Admin-42',
  TACO_RABBITMQ_ADMIN_PASSWORD: 'mq-Admin-43',
  TACO_CEPH_ADMIN_KEYRING: 'ceph-Key-44',
};

let world: ReleaseWorld;
let armadaApi: FakeArmadaKubeApi;
let workloadApi: FakeKubeApi;
let api: RoutedKubeApi;
let dir: string;
let run: LocalRun;
/** How the nightly was called: the second describe calls it again with another candidate. */
let call: Parameters<typeof runLocalWorkflow>[1] & { inputs: Record<string, string> };

beforeAll(async () => {
  world = await startReleaseWorld();
  armadaApi = await FakeArmadaKubeApi.start();
  workloadApi = await FakeKubeApi.start();
  api = await RoutedKubeApi.start({ armada: armadaApi.url, workloads: workloadApi.url });
  // What the deployed releases and the local profile's cookiemonster targets look like in the cluster.
  for (const release of ['taco-memcached', 'taco-keystone']) {
    workloadApi.addWorkload({
      kind: 'Deployment',
      namespace: 'openstack',
      name: release,
      replicas: 1,
      podLabels: { release_group: release },
    });
  }
  for (const name of ['mariadb-server', 'rabbitmq-rabbitmq']) {
    workloadApi.addWorkload({
      kind: 'StatefulSet',
      namespace: 'openstack',
      name,
      replicas: 3,
      readyDelayMs: 100,
    });
  }
  workloadApi.addWorkload({
    kind: 'Deployment',
    namespace: 'openstack',
    name: 'keystone-api',
    replicas: 2,
    labels: { application: 'keystone' },
    podLabels: { application: 'keystone' },
    readyDelayMs: 100,
  });
  // The candidates unit-kolla and unit-helm would have pushed: images :<candidate>, charts <version>-<candidate>.
  for (const name of ['keystone', 'memcached']) {
    await world.pushImage(name, CANDIDATE, 'candidate');
    const chart = await packageChart(path.join(FIXTURES, 'charts', name), { version: `1.0.0-${CANDIDATE}` });
    await pushChart(world.client, world.location, chart);
  }
  dir = mkdtempSync(path.join(os.tmpdir(), 'nightly-workflow-'));
  const closedKeystone = await freePort();
  const profile = localProfile(dir, {
    registry: {
      url: `${world.registry.host}/taco`,
      insecure: true,
      username: { env: 'TACO_REGISTRY_USERNAME' },
      password: { env: 'TACO_REGISTRY_PASSWORD' },
    },
    promote: {
      images: ['keystone', 'memcached'],
      charts: ['keystone', 'memcached'],
      manifest: SITE_MANIFEST,
      history: path.join(dir, 'ledger.jsonl'),
    },
    // One kill in flight per target: each of the three needs its own (min-kills 1) within 3 s.
    cookiemonster: {
      duration: '3s',
      interval: '500ms',
      'recovery-timeout': '30s',
      'max-concurrent-kills': 3,
    },
    tempest: {
      regex: '^tempest\\.api\\.identity\\.v3\\.test_tokens\\.',
      concurrency: 1,
      config: { identity: { uri: `http://127.0.0.1:${closedKeystone}/v3` } },
    },
  });
  // The caller's repository (the site repo the deploy and cookiemonster jobs check out).
  const site = path.join(dir, 'site');
  mkdirSync(site);
  writeFileSync(path.join(site, 'README.md'), 'site\n');
  const helm = realHelmOnPath(path.join(dir, 'helm'));
  mkdirSync(path.join(dir, 'home'));
  call = {
    inputs: {
      profile,
      candidate: CANDIDATE,
      'tempest-shards': '1',
    },
    secrets: {
      REGISTRY_USERNAME: 'deployer',
      REGISTRY_PASSWORD: 'reg-Secret-77',
      TEMPEST_ADMIN_PASSWORD: 'tempest-Admin-45',
      ...ARMADA_SECRETS,
    },
    callerRepo: site,
    kubeconfig: api.kubeconfig(),
    env: {
      ...helm.env,
      HOME: path.join(dir, 'home'),
    },
  };
  run = await runLocalWorkflow('nightly', call);
}, 600_000);

afterAll(async () => {
  await api?.close();
  await armadaApi?.close();
  await workloadApi?.close();
  await world?.stop();
});

describe('nightly.yml with the local profile', () => {
  it('runs every job in needs order, builds the candidate release and deploys it', () => {
    const results = Object.fromEntries(Object.entries(run.jobs).map(([id, job]) => [id, job.result]));
    expect(results, run.log).toMatchObject({
      candidate: 'success',
      deploy: 'success',
      shards: 'success',
      cookiemonster: 'success',
    });
    // The candidate job built the release from the candidates; deploy deployed it, pinned by digest.
    expect(run.outputs.release).toMatch(
      new RegExp(`^${world.registry.host}/taco/taco-release:${CANDIDATE}@sha256:[0-9a-f]{64}$`),
    );
    expect(run.jobs.deploy.outputs.release).toBe(run.outputs.release);
    const releases = JSON.parse(run.jobs.deploy.outputs.releases) as { release: string; status: string }[];
    expect(releases.map((r) => [r.release, r.status])).toEqual([
      ['taco-memcached', 'deployed'],
      ['taco-keystone', 'deployed'],
    ]);
  });

  it('runs cookiemonster against the cluster after Tempest and keeps its timeline', () => {
    const chaos = run.jobs.cookiemonster.runs[0].steps.chaos.outputs;
    expect(Number(chaos.kills), jobLog(run, 'Resiliency')).toBeGreaterThan(0);
    expect(chaos.passed).toBe('true');
    expect(readdirSync(path.join(run.artifactsDir, 'cookiemonster-report'))).toHaveLength(1);
  });

  it('gives Tempest the password the profile reads, and Armada the passwords the local profile needs', () => {
    expect(jobLog(run, 'Deploy OpenStack')).not.toContain('is not set');
    const shards = run.jobs.tempest.runs;
    expect(shards).toHaveLength(1);
    for (const shard of shards) {
      // Real Tempest ran and its tests failed against the closed Keystone port: they did not fail to start.
      expect(Number(shard.steps.tempest.outputs.failed), run.log).toBeGreaterThan(0);
    }
    expect(run.log).not.toMatch(/TEMPEST_ADMIN_PASSWORD[^\n]*not set/);
    for (const secret of [...Object.values(ARMADA_SECRETS), 'tempest-Admin-45', 'reg-Secret-77']) {
      expect(run.log).not.toContain(secret);
    }
  });

  it("merges every shard's stream from the artifacts download-artifact puts in subfolders", () => {
    const shardTests = run.jobs.tempest.runs.map((shard) => {
      const { passed, failed, skipped } = shard.steps.tempest.outputs;
      return Number(passed) + Number(failed) + Number(skipped);
    });
    const report = run.jobs['tempest-report'].runs[0];
    expect(report.steps.merge.outcome, jobLog(run, 'Tempest report')).toBe('failure'); // the tests failed
    const { passed, failed, skipped } = report.steps.merge.outputs;
    expect(Number(passed) + Number(failed) + Number(skipped)).toBe(shardTests.reduce((a, b) => a + b));
    expect(jobLog(run, 'Tempest report')).toMatch(/\/shards\/tempest-shard-0\/[\w-]+\.subunit: \d+ packets/);
    expect(existsSync(path.join(run.artifactsDir, 'tempest-report'))).toBe(true);
    expect(run.jobs['tempest-report'].outputs.passed).toBe('false');
  });

  it('records the failed nightly in the ledger and fails the run', () => {
    expect(run.jobs.record.result).toBe('failure');
    expect(run.outputs.passed).toBe('false');
    const entries = readFileSync(path.join(dir, 'ledger.jsonl'), 'utf8')
      .trim()
      .split('\n')
      .map((l) => JSON.parse(l));
    expect(entries.at(-1)).toMatchObject({ kind: 'nightly', candidate: CANDIDATE, status: 'failed' });
    expect(run.result).toBe('failure');
  });
});

describe('nightly.yml when the candidate release cannot be built', () => {
  const MISSING = 'nightly-20261126'; // no image or chart of this candidate is in the registry
  let failed: LocalRun;
  beforeAll(async () => {
    failed = await runLocalWorkflow('nightly', { ...call, inputs: { ...call.inputs, candidate: MISSING } });
  }, 300_000);

  it('skips the deploy and its stages, and still records the failed nightly under the candidate name', () => {
    const results = Object.fromEntries(Object.entries(failed.jobs).map(([id, job]) => [id, job.result]));
    expect(results, failed.log).toMatchObject({
      candidate: 'failure',
      deploy: 'skipped',
      tempest: 'skipped',
      'tempest-report': 'skipped',
      cookiemonster: 'skipped',
      record: 'failure',
    });
    const entries = readFileSync(path.join(dir, 'ledger.jsonl'), 'utf8')
      .trim()
      .split('\n')
      .map((l) => JSON.parse(l));
    expect(entries.at(-1), jobLog(failed, 'Record the run')).toMatchObject({
      kind: 'nightly',
      candidate: MISSING,
      status: 'failed',
    });
    expect(failed.result).toBe('failure');
  });
});
