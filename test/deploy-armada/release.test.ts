/**
 * Deploy by release, in process: a release artifact in a real docker-registry (charts, images and
 * the rendered manifest pushed with the suite's libraries), deployed with the real helm on
 * the fake Kubernetes API. Every refusal must leave the fake cluster untouched.
 */
import { cpSync, readdirSync, readFileSync, statSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { chartArtifact, packageChart, readChartPackage } from '../../actions/lib/charts/index.js';
import { pushArtifact } from '../../actions/lib/registry/artifact.js';
import { JobFailure, UserError } from '../../actions/lib/errors.js';
import { terminalContext } from '../../actions/lib/terminal-context.js';
import { run } from '../../actions/deploy-armada/main.js';
import { FakeArmadaKubeApi } from '../fakes/armada-kube-api.js';
import { FIXTURES, makeSite, startReleaseWorld, type ReleaseWorld, type Site } from './release-world.js';
import { tempDir } from './support.js';

let world: ReleaseWorld;
let api: FakeArmadaKubeApi;
beforeAll(async () => {
  world = await startReleaseWorld();
  api = await FakeArmadaKubeApi.start();
}, 120_000);
afterAll(async () => {
  await api?.close();
  await world?.stop();
});

function context(site: Site, inputs: Record<string, string>) {
  const lines: string[] = [];
  const ctx = terminalContext({
    inputs: { profile: site.profile, kubeconfig: api.kubeconfig(), ...inputs },
    env: { ...process.env, ...site.env },
    signal: new AbortController().signal,
    write: (text) => lines.push(text),
    tempDir: tempDir('deploy-armada-release-run-'),
    workspace: site.dir,
  });
  return { ctx, log: () => lines.join('') };
}

/** Every file under dir, relative path → content. */
function filesUnder(dir: string, prefix = ''): Map<string, string> {
  const out = new Map<string, string>();
  for (const name of readdirSync(dir).sort()) {
    const file = path.join(dir, name);
    if (statSync(file).isDirectory()) filesUnder(file, `${prefix}${name}/`).forEach((v, k) => out.set(k, v));
    else out.set(`${prefix}${name}`, readFileSync(file, 'utf8'));
  }
  return out;
}

async function packagedFiles(name: string): Promise<Map<string, string>> {
  const { pkg } = world.charts.get(name)!;
  const read = await readChartPackage(pkg.bytes, name);
  return new Map(
    [...read.files.entries()]
      .map(
        ([file, bytes]) =>
          [file.replace(new RegExp(`^${name}/`), ''), bytes.toString('utf8')] as [string, string],
      )
      .sort(([a], [b]) => a.localeCompare(b)),
  );
}

const upgrades = (site: Site) => site.calls().filter((argv) => argv[0] === 'upgrade');

describe('deploy-armada from a release artifact', () => {
  it('deploys exactly the charts and images the release names', async () => {
    const site = makeSite(world);
    const { ctx, log } = context(site, { release: world.releaseRef });
    await run(ctx);

    const deployed = upgrades(site);
    expect(deployed.map((argv) => argv[1]).sort()).toEqual(['taco-keystone', 'taco-memcached']);
    for (const name of ['keystone', 'memcached']) {
      const argv = deployed.find((a) => a[1] === `taco-${name}`)!;
      // The chart helm got is the released package, file for file (helm-toolkit vendored, .helmignore honoured).
      expect(filesUnder(argv[2])).toEqual(await packagedFiles(name));
    }
    const keystone = deployed.find((a) => a[1] === 'taco-keystone')!;
    expect(Object.keys(Object.fromEntries(filesUnder(keystone[2])))).toContain(
      'charts/helm-toolkit/Chart.yaml',
    );
    const values = readFileSync(keystone[keystone.indexOf('--values') + 1], 'utf8');
    expect(values).toContain(`keystone_api: ${world.registry.host}/taco/keystone:1.0.0`);
    expect(values).toContain('release_uuid: nightly-7');

    const plan = JSON.parse(ctx.outputs.plan);
    expect(plan.release).toMatchObject({
      ref: world.releaseRef,
      digest: world.releaseDigest,
      pinned: `${world.releaseRef}@${world.releaseDigest}`,
      release: '1.0.0',
    });
    expect(plan.release.charts.map((c: { name: string; digest: string }) => [c.name, c.digest])).toEqual(
      world.bom.charts.map((c) => [c.name, c.digest]).sort(),
    );
    expect(plan.release.images).toEqual(world.images.map(({ name, ref, digest }) => ({ name, ref, digest })));
    const releases = JSON.parse(ctx.outputs.releases) as Record<string, unknown>[];
    expect(releases.map((r) => [r.release, r.status, r.artifact, r.chartDigest])).toEqual([
      [
        'taco-memcached',
        'deployed',
        `${world.releaseRef}@${world.releaseDigest}`,
        world.charts.get('memcached')!.pushed.digest,
      ],
      [
        'taco-keystone',
        'deployed',
        `${world.releaseRef}@${world.releaseDigest}`,
        world.charts.get('keystone')!.pushed.digest,
      ],
    ]);
    const summary = ctx.summary.join('\n');
    expect(summary).toContain(`### Release \`${world.releaseRef}\``);
    expect(summary).toContain(world.releaseDigest);
    for (const image of world.images) expect(summary).toContain(image.digest);
    expect(log()).toContain(`release ${world.releaseRef}: ${world.releaseDigest} (2 charts, 2 images)`);
    expect(log()).not.toContain('reg-Secret-77');
  });

  it('deploys a release named by digest, and plans one on dry-run without touching the cluster', async () => {
    const site = makeSite(world);
    const byDigest = world.releaseRef.replace(/:1\.0\.0$/, `@${world.releaseDigest}`);
    const { ctx } = context(site, { release: byDigest, 'dry-run': 'true' });
    await run(ctx);
    expect(site.calls()).toEqual([]);
    expect(JSON.parse(ctx.outputs.plan).release).toMatchObject({
      digest: world.releaseDigest,
      pinned: byDigest,
    });
    expect(ctx.summary.join('\n')).toContain('taco-keystone ← chart keystone in openstack');
  });

  it('refuses a chart whose stored package was tampered with, before anything is applied', async () => {
    const { pushed } = world.charts.get('memcached')!;
    const blob = world.blobFile(pushed.contentDigest);
    const original = readFileSync(blob);
    writeFileSync(blob, Buffer.concat([original.subarray(0, original.length - 4), Buffer.from('evil')]));
    try {
      const site = makeSite(world);
      const { ctx } = context(site, { release: world.releaseRef });
      const error = await run(ctx).then(
        () => undefined,
        (err: unknown) => err,
      );
      expect(error).toBeInstanceOf(JobFailure);
      const message = (error as Error).message;
      expect(message).toContain('failed verification, nothing was deployed');
      expect(message).toContain('chart memcached 1.0.0');
      expect(message).toContain(pushed.contentDigest);
      expect(message).toMatch(/with digest sha256:[0-9a-f]{64}/);
      expect(site.calls()).toEqual([]);
    } finally {
      writeFileSync(blob, original);
    }
  });

  it('refuses a release whose chart is missing from the registry', async () => {
    const memcached = world.charts.get('memcached')!.pushed;
    // The BOM's keystone entry names memcached's manifest digest, which the keystone repository does not have.
    const forged = await world.publish({
      ...world.bom,
      release: '1.0.1',
      charts: world.bom.charts.map((c) => (c.name === 'keystone' ? { ...c, digest: memcached.digest } : c)),
    });
    const site = makeSite(world);
    const { ctx } = context(site, { release: forged.ref });
    const error = await run(ctx).then(
      () => undefined,
      (err: unknown) => err as Error,
    );
    expect(error).toBeInstanceOf(JobFailure);
    expect(error!.message).toContain(
      `chart keystone 1.0.0: ${world.charts.get('keystone')!.pushed.ref}@${memcached.digest} is missing from the registry`,
    );
    expect(site.calls()).toEqual([]);
  });

  it('refuses a chart whose package is not the one the manifest pins, naming both digests', async () => {
    const keystone = world.charts.get('keystone')!.pushed;
    // Another keystone 1.0.0 package (one value changed), pushed to the same repository under another tag.
    const dir = tempDir('deploy-armada-forged-chart-');
    cpSync(path.join(FIXTURES, 'charts'), dir, { recursive: true });
    writeFileSync(path.join(dir, 'keystone', 'values.yaml'), 'pod:\n  replicas:\n    api: 99\n');
    const other = await packageChart(path.join(dir, 'keystone'), { version: '1.0.0' });
    const pushed = await pushArtifact(world.client, 'taco/charts/keystone', 'forged', chartArtifact(other));
    const forged = await world.publish({
      ...world.bom,
      release: '1.0.2',
      charts: world.bom.charts.map((c) => (c.name === 'keystone' ? { ...c, digest: pushed.digest } : c)),
    });
    const site = makeSite(world);
    const { ctx } = context(site, { release: forged.ref });
    const error = await run(ctx).then(
      () => undefined,
      (err: unknown) => err as Error,
    );
    expect(error).toBeInstanceOf(JobFailure);
    expect(error!.message).toContain(
      `chart keystone 1.0.0: its package layer is ${other.digest}, but the release manifest pins ${keystone.contentDigest}`,
    );
    expect(site.calls()).toEqual([]);
  });

  it('refuses a manifest that pins a chart package the bill of materials does not have, or does not pin a deployed chart', async () => {
    const keystone = world.charts.get('keystone')!.pushed;
    const stranger = `sha256:${'ab'.repeat(32)}`;
    const strange = await world.publish({ ...world.bom, release: '1.0.3' }, (text) =>
      text.replace(keystone.contentDigest, stranger),
    );
    const site = makeSite(world);
    const first = await run(context(site, { release: strange.ref }).ctx).then(
      () => undefined,
      (err: unknown) => err as Error,
    );
    expect(first).toBeInstanceOf(JobFailure);
    expect(first!.message).toContain(
      `Chart keystone: the manifest pins ${stranger}, which no chart of the bill of materials has`,
    );
    expect(first!.message).toContain(`keystone ${keystone.contentDigest}`);

    const git = await world.publish({ ...world.bom, release: '1.0.4' }, (text) =>
      text.replace(
        /type: tar\n(\s+)location: http:\/\/[^\n]*charts\/keystone\/blobs\/[^\n]*/,
        'type: git\n$1location: https://opendev.org/openstack/openstack-helm',
      ),
    );
    const second = await run(context(site, { release: git.ref }).ctx).then(
      () => undefined,
      (err: unknown) => err as Error,
    );
    expect(second).toBeInstanceOf(JobFailure);
    expect(second!.message).toContain(
      'Chart keystone (release taco-keystone) comes from git https://opendev.org/openstack/openstack-helm //keystone, not from a chart of the release',
    );
    expect(site.calls()).toEqual([]);
  });

  it('refuses an image whose tag moved since the release, naming both digests', async () => {
    const released = world.images.find((i) => i.name === 'memcached')!;
    const moved = await world.pushImage('memcached', '1.0.0', 'rebuilt later');
    try {
      const site = makeSite(world);
      const { ctx } = context(site, { release: world.releaseRef });
      const error = await run(ctx).then(
        () => undefined,
        (err: unknown) => err as Error,
      );
      expect(error).toBeInstanceOf(JobFailure);
      expect(error!.message).toContain(
        `image memcached: ${released.ref} now resolves to ${moved}, but the release pinned ${released.digest}`,
      );
      expect(site.calls()).toEqual([]);
    } finally {
      await world.pushImage('memcached', '1.0.0', 'released');
    }
  });

  it('refuses a set override that re-points a chart away from the release', async () => {
    const site = makeSite(world);
    const { ctx } = context(site, {
      release: world.releaseRef,
      set: `chart:keystone:source.location=${site.dir}`,
    });
    const error = await run(ctx).then(
      () => undefined,
      (err: unknown) => err as Error,
    );
    expect(error).toBeInstanceOf(JobFailure);
    expect(error!.message).toContain('Chart keystone (release taco-keystone) comes from local');
    expect(error!.message).toContain('not from a chart of the release');
    expect(site.calls()).toEqual([]);
  });

  it('refuses release together with manifest or images', async () => {
    const site = makeSite(world);
    const extras: Record<string, string>[] = [{ manifest: 'site-manifest.yaml' }, { images: 'keystone' }];
    for (const extra of extras) {
      const { ctx } = context(site, { release: world.releaseRef, ...extra });
      const error = await run(ctx).then(
        () => undefined,
        (err: unknown) => err as Error,
      );
      expect(error).toBeInstanceOf(UserError);
      expect(error!.message).toMatch(
        new RegExp(`Inputs 'release' and '${Object.keys(extra)[0]}' exclude each other`),
      );
    }
    expect(site.calls()).toEqual([]);
  });

  it('says clearly when the release tag does not exist', async () => {
    const site = makeSite(world);
    const missing = world.releaseRef.replace(/:1\.0\.0$/, ':9.0.0');
    const { ctx } = context(site, { release: missing });
    const error = await run(ctx).then(
      () => undefined,
      (err: unknown) => err as Error,
    );
    expect(error).toBeInstanceOf(UserError);
    expect(error!.message).toContain(`Input 'release': ${missing} does not exist in the registry`);
    expect(site.calls()).toEqual([]);
  });
});
