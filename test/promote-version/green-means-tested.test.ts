/**
 * Done-when of issue 16, end to end through the bundles on Node 24 and taco-ci: a candidate
 * release, deploy-armada deploys it (fake cluster, real helm), the tempest action runs real Tempest
 * against the loopback Keystone + Glance (test/support/openstack-cloud.ts) and merges its shard as
 * the nightly's report job does, cookiemonster disrupts a fake cluster, record-nightly records what
 * was deployed with the stages' real results and Tempest's stream, and the candidate tag is moved
 * to other bytes between deploy and record. Promotion must refuse the moved tag, and promote only
 * the deployed digests.
 */
import { spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { stringify } from 'yaml';
import { readHistory } from '../../actions/lib/history/index.js';
import { MANIFEST_ACCEPT } from '../../actions/lib/registry/media-types.js';
import { FakeArmadaKubeApi } from '../fakes/armada-kube-api.js';
import { FakeKubeApi } from '../fakes/kube-api.js';
import { repoRoot, runAction } from '../harness/run-action.js';
import {
  makeSite,
  SITE_MANIFEST,
  startReleaseWorld,
  type ReleaseWorld,
} from '../deploy-armada/release-world.js';
import { pushArtifact } from '../../actions/lib/registry/artifact.js';
import { releaseArtifact } from '../../actions/lib/release/artifact.js';
import { renderReleaseManifest } from '../../actions/lib/release/index.js';
import { servedDigest } from './support/world.js';
import { type OpenStackCloud, startOpenStackCloud, tempestConfigFor } from '../support/openstack-cloud.js';

// One small class of real identity tests: enough to prove the stage ran, a minute on 2 cores.
const TEMPEST_REGEX = 'tempest\\.api\\.identity\\.v3\\.test_tokens\\.TokensV3Test\\.';

const AUTH = 'deployer:reg-Secret-77';
let world: ReleaseWorld;
let armadaApi: FakeArmadaKubeApi;
let chaosApi: FakeKubeApi;
let cloud: OpenStackCloud;
let dir: string;
beforeAll(async () => {
  [world, cloud] = await Promise.all([startReleaseWorld(), startOpenStackCloud()]);
  armadaApi = await FakeArmadaKubeApi.start();
  chaosApi = await FakeKubeApi.start();
  chaosApi.addWorkload({
    kind: 'Deployment',
    namespace: 'openstack',
    name: 'keystone-api',
    replicas: 2,
    readyDelayMs: 100,
  });
  dir = mkdtempSync(path.join(os.tmpdir(), 'green-means-tested-'));
}, 300_000);
afterAll(async () => {
  await cloud?.stop();
  await chaosApi?.close();
  await armadaApi?.close();
  await world?.stop();
  if (dir) rmSync(dir, { recursive: true, force: true });
}, 60_000);

/** The site's Tempest profile: the loopback cloud, with the services it has. */
function tempestProfile(): string {
  const file = path.join(dir, 'tempest-site.yaml');
  writeFileSync(
    file,
    stringify({
      name: 'tempest-site',
      tempest: {
        concurrency: 2,
        timeout: '10m',
        config: tempestConfigFor(cloud),
      },
    }),
  );
  return file;
}

/** The nightly's tempest job (one shard) and its report job (merge), through the bundle. */
async function runTempestStage(): Promise<{ result: string; subunit: string; passed: number }> {
  const profile = tempestProfile();
  const shard = await runAction('tempest', {
    node: '24',
    inputs: {
      profile,
      regex: TEMPEST_REGEX,
      'shard-count': '1',
      workspace: path.join(dir, 'tempest-ws'),
      'results-dir': path.join(dir, 'tempest-shard'),
    },
    env: { HOME: path.join(dir, 'home'), TEMPEST_ADMIN_PASSWORD: cloud.admin.password },
    timeoutMs: 600_000,
  });
  expect(shard.exitCode, shard.stdout.slice(-4000)).toBe(0);
  const merged = await runAction('tempest', {
    node: '24',
    inputs: {
      profile,
      mode: 'merge',
      subunit: shard.outputs.subunit,
      'results-dir': path.join(dir, 'tempest-report'),
    },
  });
  expect(merged.exitCode, merged.stdout.slice(-4000)).toBe(0);
  return {
    result: merged.exitCode === 0 ? 'success' : 'failure',
    subunit: merged.outputs.subunit,
    passed: Number(merged.outputs.passed),
  };
}

function tacoCi(inputs: Record<string, string>) {
  return spawnSync(
    process.execPath,
    [
      path.join(repoRoot, 'bin', 'taco-ci.js'),
      'run',
      'promote-version',
      ...Object.entries(inputs).flatMap(([k, v]) => ['--input', `${k}=${v}`]),
    ],
    { cwd: dir, encoding: 'utf8', timeout: 120_000 },
  );
}

/** Moves `repository:to` to the manifest of `repository:from`, byte for byte (a re-pushed tag). */
async function retag(host: string, repository: string, from: string, to: string): Promise<void> {
  const authorization = `Basic ${Buffer.from(AUTH).toString('base64')}`;
  const base = `http://${host}/v2/${repository}/manifests`;
  const got = await fetch(`${base}/${from}`, { headers: { accept: MANIFEST_ACCEPT, authorization } });
  expect(got.status).toBe(200);
  const put = await fetch(`${base}/${to}`, {
    method: 'PUT',
    headers: { 'content-type': got.headers.get('content-type')!, authorization },
    body: Buffer.from(await got.arrayBuffer()),
  });
  expect(put.status).toBe(201);
}

describe('green means tested: record what was deployed, promote only that', () => {
  it('a candidate tag moved between deploy and record is never promoted', async () => {
    const host = world.registry.host;
    const registry = {
      registry: `${host}/taco`,
      'registry-username': 'deployer',
      'registry-password': 'reg-Secret-77',
    };
    // The candidate release the nightly deploys.
    const candidate = await world.publish({ ...world.bom, release: 'nightly-1', candidate: 'nightly-1' });

    const site = makeSite(world);
    const deploy = await runAction('deploy-armada', {
      node: '24',
      inputs: {
        profile: site.profile,
        release: `${host}/taco/taco-release:nightly-1`,
        kubeconfig: armadaApi.kubeconfig(),
      },
      env: site.env,
    });
    expect(deploy.stderr).toBe('');
    expect(deploy.exitCode).toBe(0);
    const deployed = JSON.parse(deploy.outputs.release) as {
      digest: string;
      images: { name: string; digest: string }[];
    };
    expect(deployed.digest).toBe(candidate.digest);

    const tempest = await runTempestStage();
    expect(tempest.passed).toBeGreaterThan(0);

    const kubeconfig = path.join(dir, 'kubeconfig');
    writeFileSync(kubeconfig, chaosApi.kubeconfig);
    const chaos = await runAction('cookiemonster', {
      node: '24',
      inputs: {
        kubeconfig,
        namespaces: 'openstack',
        targets: stringify([{ kind: 'Deployment', name: 'keystone-api' }]),
        duration: '1s',
        interval: '300ms',
        seed: 'e2e',
        'recovery-timeout': '20s',
      },
    });
    expect(chaos.exitCode).toBe(0);
    expect(Number(chaos.outputs.kills)).toBeGreaterThan(0);

    // Meanwhile the candidate tag moves: other image bytes, a new candidate release under the same tag.
    const moved = await world.pushImage('keystone', '1.0.0', 'moved');
    const keystone = world.bom.images.find((i) => i.name === 'keystone')!;
    expect(moved).not.toBe(keystone.digest);
    // Same release name in its bill of materials, pushed under a scratch tag, then moved onto nightly-1.
    const movedBom = {
      ...world.bom,
      release: 'nightly-1',
      candidate: 'nightly-1',
      images: world.bom.images.map((i) => (i.name === 'keystone' ? { ...i, digest: moved } : i)),
    };
    const movedRelease = await pushArtifact(
      world.client,
      'taco/taco-release',
      'nightly-1-rebuilt',
      releaseArtifact({
        bom: movedBom,
        manifestYaml: renderReleaseManifest(
          readFileSync(SITE_MANIFEST, 'utf8'),
          'site-manifest.yaml',
          movedBom,
          {
            scheme: 'http',
          },
        ),
      }),
    );
    await retag(host, 'taco/taco-release', 'nightly-1-rebuilt', 'nightly-1');
    expect(await servedDigest(host, 'taco/taco-release', 'nightly-1', AUTH)).toBe(movedRelease.digest);
    expect(movedRelease.digest).not.toBe(candidate.digest);

    const history = path.join(dir, 'ledger.jsonl');
    const record = tacoCi({
      ...registry,
      mode: 'record-nightly',
      deployed: deploy.outputs.release,
      'deploy-result': 'success',
      'tempest-result': tempest.result,
      'tempest-results': tempest.subunit,
      'chaos-result': chaos.exitCode === 0 ? 'success' : 'failure',
      history,
    });
    expect(record.stderr).toBe('');
    expect(record.status).toBe(0);
    const [entry] = await readHistory({ kind: 'file', path: history });
    expect(entry).toMatchObject({
      status: 'passed',
      candidate: 'nightly-1',
      release: { digest: candidate.digest },
      stages: { deploy: 'passed', tempest: 'passed', chaos: 'passed' },
    });
    // The entry keeps what Tempest really ran: the counts of the merged stream.
    expect(entry.tempest).toMatchObject({ passed: tempest.passed, failed: 0 });
    expect(entry.images.find((i) => i.name === 'keystone')?.digest).toBe(keystone.digest);

    // The moved tag is refused: it is not what the nightly deployed.
    const refused = await runAction('promote-version', {
      node: '24',
      inputs: {
        ...registry,
        release: `${host}/taco/taco-release:nightly-1`,
        'target-prefix': 'release',
        'require-nightly': 'true',
        history,
      },
    });
    expect(refused.exitCode).toBe(1);
    expect(refused.stdout).toContain(`the nightly deployed ${candidate.digest}`);
    expect(await servedDigest(host, 'taco/release/keystone', '2.0.0', AUTH)).toBeUndefined();

    // The deployed release, by digest, is promoted: exactly the digests the nightly tested.
    const promoted = await runAction('promote-version', {
      node: '24',
      inputs: {
        ...registry,
        release: `${host}/taco/taco-release@${candidate.digest}`,
        candidate: 'nightly-1',
        'target-prefix': 'release',
        'require-nightly': 'true',
        history,
      },
    });
    expect(promoted.stderr).toBe('');
    expect(promoted.exitCode).toBe(0);
    const version = promoted.outputs.version;
    expect(await servedDigest(host, 'taco/release/keystone', version, AUTH)).toBe(keystone.digest);
  }, 600_000);
});
