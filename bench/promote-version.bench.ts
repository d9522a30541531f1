/**
 * Promotion benchmark: 50 images × 3 layers in a local docker-registry, each promoted from
 * `candidates/<image>:nightly` to `<tool>/<image>:1.0.0` (another repository, as in production),
 * by (1) this action (its ncc bundle on Node 24 in a fresh process, as the runner runs it), (2) one
 * `skopeo copy` per image, (3) `docker pull/tag/push` per image against a private dockerd
 * (`--docker`). The action is also timed with layers 8× larger, to show that its time does not
 * depend on layer size (it moves manifests, never layer bytes).
 *
 *   npx tsx bench/promote-version.bench.ts [--images 50] [--runs 3] [--docker] [--count-requests]
 *       [--cpu-prof DIR]
 *
 * Each side runs `--runs` times (each run to fresh release repositories) and the ratio compares
 * the best runs: on a shared machine the best of several runs is the one least disturbed by other
 * work; the median is printed beside it. `--count-requests` puts a counting HTTP relay in front of
 * the registry for one extra (untimed) promotion and prints the requests per image by kind;
 * `--cpu-prof DIR` writes a V8 CPU profile of one extra promotion there.
 */
import { spawnSync } from 'node:child_process';
import { createHash, randomBytes } from 'node:crypto';
import http from 'node:http';
import os from 'node:os';
import path from 'node:path';
import { parseArgs } from 'node:util';
import { gzipSync } from 'node:zlib';
import { runAction } from '../test/harness/run-action.js';
import { startRegistry, type TestRegistry } from '../test/support/registry.js';
import { tarOf } from '../test/promote-version/support/oci-images.js';
import { startDockerd, type TestDockerd } from '../test/support/dockerd.js';
import { emitBenchRow, median } from './bench-row.js';

const { values } = parseArgs({
  options: {
    images: { type: 'string', default: '50' },
    runs: { type: 'string', default: '3' },
    docker: { type: 'boolean', default: false },
    'count-requests': { type: 'boolean', default: false },
    'cpu-prof': { type: 'string' },
  },
});
const IMAGES = Math.max(1, Number(values.images));
const RUNS = Math.max(1, Number(values.runs));
const LAYERS = 3;
const SMALL_LAYER = 32 * 1024;
const LARGE_LAYER = 8 * SMALL_LAYER;

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

/** The bundled action on Node 24 in a fresh process, exactly as the runner starts it (cold: one promotion = one process). */
async function timeAction(
  host: string,
  names: string[],
  target: string,
  env: Record<string, string> = {},
): Promise<number> {
  const started = performance.now();
  const result = await runAction('promote-version', {
    node: '24',
    env,
    inputs: {
      registry: `${host}/taco`,
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

/** The kind of a registry request, for counting: `HEAD manifest`, `POST blob upload`, … */
function requestKind(method: string, url: string): string {
  const what = /\/manifests\//.test(url)
    ? 'manifest'
    : /\/blobs\/uploads\//.test(url)
      ? 'blob upload'
      : /\/blobs\//.test(url)
        ? 'blob'
        : /\/tags\/list/.test(url)
          ? 'tag list'
          : url.replace(/\?.*$/, '');
  return `${method} ${what}`;
}

/** A loopback HTTP relay in front of the registry that counts the requests by kind. */
async function countingRelay(registry: TestRegistry) {
  const counts = new Map<string, number>();
  const agent = new http.Agent({ keepAlive: true, maxSockets: 64 });
  const server = http.createServer((req, res) => {
    const kind = requestKind(req.method!, req.url!);
    counts.set(kind, (counts.get(kind) ?? 0) + 1);
    const upstream = http.request(
      `${registry.url}${req.url}`,
      { method: req.method, headers: { ...req.headers, host: registry.host }, agent },
      (answer) => {
        res.writeHead(answer.statusCode!, answer.headers);
        answer.pipe(res);
      },
    );
    upstream.on('error', (err) => res.destroy(err));
    req.pipe(upstream);
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as { port: number };
  return {
    host: `127.0.0.1:${port}`,
    counts,
    close: () => {
      agent.destroy();
      server.closeAllConnections();
      return new Promise((resolve) => server.close(resolve));
    },
  };
}

const fmt = (ms: number) => `${(ms / 1000).toFixed(2)} s (${(ms / IMAGES).toFixed(0)} ms/image)`;
const runs = (label: string, xs: number[]) =>
  console.log(
    `${label.padEnd(34)} best ${fmt(Math.min(...xs))}, median ${fmt(median(xs))}   [${xs.map((x) => (x / 1000).toFixed(2)).join(', ')}]`,
  );

const registry = await startRegistry();
let dockerd: TestDockerd | undefined;
try {
  console.log(
    `promote-version benchmark: ${IMAGES} images × ${LAYERS} layers, local docker-registry at ${registry.host}, ` +
      `${RUNS} run(s) per side, load ${os
        .loadavg()
        .map((l) => l.toFixed(2))
        .join(' ')} on ${os.cpus().length} cores`,
  );
  const small = await seed(registry, 'small', SMALL_LAYER);
  const large = await seed(registry, 'large', LARGE_LAYER);

  const action: number[] = [];
  const actionLarge: number[] = [];
  const skopeo: number[] = [];
  // Interleaved, so that a burst of load elsewhere disturbs each side alike.
  for (let run = 0; run < RUNS; run++) {
    action.push(await timeAction(registry.host, small, `release-action-${run}`));
    actionLarge.push(await timeAction(registry.host, large, `release-action-large-${run}`));
    skopeo.push(timeSkopeo(registry, small, `release-skopeo-${run}`));
  }
  runs(`this action (${SMALL_LAYER / 1024} KiB layers):`, action);
  runs(`this action (${LARGE_LAYER / 1024} KiB layers, 8×):`, actionLarge);
  runs('skopeo copy per image:', skopeo);

  let docker: number | undefined;
  if (values.docker) {
    try {
      dockerd = await startDockerd();
      docker = timeDocker(dockerd, registry, small, 'release-docker');
      console.log(`docker pull/tag/push per image:    ${fmt(docker)}`);
    } catch (err) {
      console.log(`docker pull/tag/push: NOT MEASURED — ${(err as Error).message.split('\n')[0]}`);
    }
  }

  const best = Math.min(...action);
  console.log('');
  console.log(
    `ratio skopeo / action: ${(Math.min(...skopeo) / best).toFixed(1)}× best, ${(median(skopeo) / median(action)).toFixed(1)}× median   (goal ≥ 8×)`,
  );
  if (docker !== undefined)
    console.log(`ratio docker / action: ${(docker / best).toFixed(1)}×   (goal ≥ 20×)`);
  console.log(
    `layer size 8× larger → action time ×${(Math.min(...actionLarge) / best).toFixed(2)} best, ×${(median(actionLarge) / median(action)).toFixed(2)} median   (goal ≤ 1.1)`,
  );
  const load = Number(os.loadavg()[0].toFixed(2));
  const row = (fields: Record<string, unknown>) => emitBenchRow({ ...fields, load });
  const round = (ms: number) => Number((ms / 1000).toFixed(3));
  row({
    id: 'promote',
    ours: round(median(action)),
    peer: round(median(skopeo)),
    unit: 's',
    peerName: 'skopeo copy per image (median)',
    better: 'lower',
  });
  row({ id: 'promote-flat', ours: Number((median(actionLarge) / median(action)).toFixed(2)), unit: '×' });
  console.log(
    `load after: ${os
      .loadavg()
      .map((l) => l.toFixed(2))
      .join(' ')}`,
  );

  if (values['count-requests']) {
    const relay = await countingRelay(registry);
    try {
      await timeAction(relay.host, small, 'release-counted');
    } finally {
      await relay.close();
    }
    const total = [...relay.counts.values()].reduce((a, b) => a + b, 0);
    console.log(`\nrequests of one promotion: ${total} (${(total / IMAGES).toFixed(2)} per image)`);
    for (const [kind, n] of [...relay.counts].sort((a, b) => b[1] - a[1]))
      console.log(`  ${kind.padEnd(24)} ${String(n).padStart(5)}  (${(n / IMAGES).toFixed(2)} per image)`);
  }
  if (values['cpu-prof']) {
    const dir = path.resolve(values['cpu-prof']);
    await timeAction(registry.host, small, 'release-profiled', {
      NODE_OPTIONS: `--cpu-prof --cpu-prof-dir=${dir}`,
    });
    console.log(`\nCPU profile of one promotion written to ${dir}`);
  }
} finally {
  await dockerd?.stop();
  await registry.stop();
}
