/**
 * Promotion benchmark: 50 images × 3 layers in a local docker-registry, each promoted from
 * `candidates/<image>:nightly` to `<tool>/<image>:1.0.0` (another repository, as in production),
 * by (1) this action (its ncc bundle in a fresh Node process, as the runner runs it), (2) one `skopeo copy` per image, (3) `docker pull/tag/push` per image
 * against a private dockerd. The action is also timed with layers 64× larger, to show that its
 * time does not depend on layer size (it moves manifests, never layer bytes).
 *
 *   npx tsx bench/promote-version.bench.ts [--images 50] [--no-docker]
 */
import { spawnSync } from 'node:child_process';
import { createHash, randomBytes } from 'node:crypto';
import os from 'node:os';
import path from 'node:path';
import { gzipSync } from 'node:zlib';
import { runAction } from '../test/harness/run-action.js';
import { startRegistry, type TestRegistry } from '../test/support/registry.js';
import { tarOf } from '../test/promote-version/support/oci-images.js';
import { startDockerd, type TestDockerd } from '../test/support/dockerd.js';

const args = process.argv.slice(2);
const IMAGES = Number(args[args.indexOf('--images') + 1] || 50) || 50;
const LAYERS = 3;
const withDocker = !args.includes('--no-docker');

const digestOf = (data: Buffer) => `sha256:${createHash('sha256').update(data).digest('hex')}`;

/** Pushes one image (gzip layers, OCI config and manifest) with monolithic blob uploads. */
async function pushImage(base: string, repository: string, tag: string, layerBytes: number): Promise<void> {
  const tars = Array.from({ length: LAYERS }, (_, i) =>
    tarOf({ [`l${i}/${repository.replace(/\//g, '_')}`]: randomBytes(layerBytes) }),
  );
  const layers = tars.map((tar) => gzipSync(tar));
  const config = Buffer.from(
    JSON.stringify({
      architecture: 'amd64',
      os: 'linux',
      rootfs: { type: 'layers', diff_ids: tars.map(digestOf) },
      config: {},
    }),
  );
  for (const blob of [config, ...layers]) {
    const start = await fetch(`${base}/v2/${repository}/blobs/uploads/`, { method: 'POST' });
    const location = new URL(start.headers.get('location')!, base);
    location.searchParams.set('digest', digestOf(blob));
    const put = await fetch(location, {
      method: 'PUT',
      body: blob,
      headers: { 'content-type': 'application/octet-stream' },
    });
    if (put.status !== 201) throw new Error(`blob upload: HTTP ${put.status}`);
  }
  const manifest = {
    schemaVersion: 2,
    mediaType: 'application/vnd.docker.distribution.manifest.v2+json',
    config: {
      mediaType: 'application/vnd.docker.container.image.v1+json',
      digest: digestOf(config),
      size: config.length,
    },
    layers: layers.map((l) => ({
      mediaType: 'application/vnd.docker.image.rootfs.diff.tar.gzip',
      digest: digestOf(l),
      size: l.length,
    })),
  };
  const res = await fetch(`${base}/v2/${repository}/manifests/${tag}`, {
    method: 'PUT',
    body: JSON.stringify(manifest),
    headers: { 'content-type': manifest.mediaType },
  });
  if (res.status !== 201) throw new Error(`manifest put: HTTP ${res.status}`);
}

async function seed(registry: TestRegistry, prefix: string, layerBytes: number): Promise<string[]> {
  const names = Array.from({ length: IMAGES }, (_, i) => `${prefix}/img${String(i).padStart(2, '0')}`);
  for (let i = 0; i < names.length; i += 4) {
    await Promise.all(
      names
        .slice(i, i + 4)
        .map((name) => pushImage(registry.url, `taco/candidates/${name}`, 'nightly', layerBytes)),
    );
  }
  return names;
}

/** The bundled action in a fresh Node process, exactly as the runner starts it (cold: one promotion = one process). */
async function timeAction(registry: TestRegistry, names: string[], target: string): Promise<number> {
  const started = performance.now();
  const result = await runAction('promote-version', {
    inputs: {
      registry: `${registry.host}/taco`,
      images: names.map((n) => `candidates/${n}`).join('\n'),
      candidate: 'nightly',
      'target-prefix': target,
    },
  });
  const ms = performance.now() - started;
  if (result.exitCode !== 0 || JSON.parse(result.outputs.promoted).length !== names.length) {
    throw new Error(`the action failed or promoted too little:\n${result.stdout}\n${result.stderr}`);
  }
  return ms;
}

function timeSkopeo(registry: TestRegistry, names: string[], target: string): number {
  const started = performance.now();
  for (const name of names) {
    const r = spawnSync(
      'skopeo',
      [
        'copy',
        '--quiet',
        '--preserve-digests',
        '--src-tls-verify=false',
        '--dest-tls-verify=false',
        `docker://${registry.host}/taco/candidates/${name}:nightly`,
        `docker://${registry.host}/taco/${target}/${path.posix.basename(name)}:1.0.0`,
      ],
      { encoding: 'utf8' },
    );
    if (r.status !== 0) throw new Error(`skopeo copy ${name}: ${r.stderr}`);
  }
  return performance.now() - started;
}

function timeDocker(dockerd: TestDockerd, registry: TestRegistry, names: string[], target: string): number {
  const docker = (...a: string[]) => {
    const r = spawnSync('docker', a, { env: { ...process.env, ...dockerd.env }, encoding: 'utf8' });
    if (r.status !== 0) throw new Error(`docker ${a.join(' ')}: ${r.stderr}`);
  };
  const started = performance.now();
  for (const name of names) {
    const from = `${registry.host}/taco/candidates/${name}:nightly`;
    const to = `${registry.host}/taco/${target}/${path.posix.basename(name)}:1.0.0`;
    docker('pull', '-q', from);
    docker('tag', from, to);
    docker('push', '-q', to);
  }
  return performance.now() - started;
}

const fmt = (ms: number) => `${(ms / 1000).toFixed(2)} s (${(ms / IMAGES).toFixed(0)} ms/image)`;

const registry = await startRegistry();
let dockerd: TestDockerd | undefined;
try {
  console.log(
    `promote-version benchmark: ${IMAGES} images × ${LAYERS} layers, local docker-registry at ${registry.host}, load ${os.loadavg()[0].toFixed(1)} on ${os.cpus().length} cores`,
  );
  const small = await seed(registry, 'small', 4 * 1024);
  const large = await seed(registry, 'large', 256 * 1024);

  const action = await timeAction(registry, small, 'release-action');
  const actionLarge = await timeAction(registry, large, 'release-action-large');
  console.log(`this action (4 KiB layers):        ${fmt(action)}`);
  console.log(
    `this action (256 KiB layers, 64×): ${fmt(actionLarge)}  → ${(actionLarge / action).toFixed(2)}× the small-layer time`,
  );

  const skopeo = timeSkopeo(registry, small, 'release-skopeo');
  console.log(`skopeo copy per image:             ${fmt(skopeo)}`);

  let docker: number | undefined;
  if (withDocker) {
    try {
      dockerd = await startDockerd();
      docker = timeDocker(dockerd, registry, small, 'release-docker');
      console.log(`docker pull/tag/push per image:    ${fmt(docker)}`);
    } catch (err) {
      console.log(`docker pull/tag/push: NOT MEASURED — ${(err as Error).message.split('\n')[0]}`);
    }
  } else {
    console.log('docker pull/tag/push: skipped (--no-docker)');
  }

  console.log('');
  console.log(`ratio skopeo / action: ${(skopeo / action).toFixed(1)}×   (target ≥ 5×)`);
  if (docker !== undefined)
    console.log(`ratio docker / action: ${(docker / action).toFixed(1)}×   (target ≥ 20×)`);
  console.log(`layer size 64× larger → action time ×${(actionLarge / action).toFixed(2)} (flat means ≈ 1)`);
} finally {
  await dockerd?.stop();
  await registry.stop();
}
