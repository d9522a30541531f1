/**
 * A release in a real registry for the deploy-by-release tests: the fixture charts packaged and
 * pushed as Helm OCI charts, two small OCI images, and a release artifact rendered from the
 * fixture site manifest — all built with the suite's own libraries, as promote-version does.
 */
import { readFileSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { gzipSync } from 'node:zlib';
import {
  packageChart,
  pushChart,
  type ChartPackage,
  type PushedChart,
} from '../../actions/lib/charts/index.js';
import { pushArtifact } from '../../actions/lib/registry/artifact.js';
import { RegistryClient } from '../../actions/lib/registry/client.js';
import type { RegistryLocation } from '../../actions/lib/registry/reference.js';
import {
  pushRelease,
  renderReleaseManifest,
  type BillOfMaterials,
  type BomImage,
} from '../../actions/lib/release/index.js';
import { startRegistry, type TestRegistry } from '../support/registry.js';
import { tempDir } from './support.js';
import { realHelmOnPath } from '../support/helm.js';

export const FIXTURES = path.resolve(import.meta.dirname, '..', 'fixtures', 'deploy-armada', 'release');
export const SITE_MANIFEST = path.join(FIXTURES, 'site-manifest.yaml');
const USER = 'deployer';
const PASSWORD = 'reg-Secret-77';

export interface ReleaseWorld {
  registry: TestRegistry;
  client: RegistryClient;
  location: RegistryLocation;
  charts: Map<string, { pkg: ChartPackage; pushed: PushedChart }>;
  images: BomImage[];
  bom: BillOfMaterials;
  /** `host/taco/taco-release:1.0.0` */
  releaseRef: string;
  releaseDigest: string;
  /** Pushes a small OCI image (its content depends on `seed`); returns its digest. */
  pushImage(name: string, tag: string, seed: string): Promise<string>;
  /** Renders the fixture manifest against `bom` (then `edit`s it, to forge one) and pushes it as release `bom.release`. */
  publish(
    bom: BillOfMaterials,
    edit?: (manifestYaml: string) => string,
  ): Promise<{ ref: string; digest: string }>;
  /** The registry's file holding a blob (to tamper with it). */
  blobFile(digest: string): string;
  stop(): Promise<void>;
}

export async function startReleaseWorld(): Promise<ReleaseWorld> {
  const registry = await startRegistry({ username: USER, password: PASSWORD });
  const client = new RegistryClient({
    host: registry.host,
    credentials: { username: USER, password: PASSWORD },
  });
  const location: RegistryLocation = { host: registry.host, namespace: 'taco' };
  try {
    const charts = new Map<string, { pkg: ChartPackage; pushed: PushedChart }>();
    for (const name of ['keystone', 'memcached']) {
      const pkg = await packageChart(path.join(FIXTURES, 'charts', name), { version: '1.0.0' });
      charts.set(name, { pkg, pushed: await pushChart(client, location, pkg) });
    }
    const pushImage = async (name: string, tag: string, seed: string) => {
      const layer = gzipSync(Buffer.from(`${name} ${seed}\n`));
      const config = Buffer.from(
        JSON.stringify({
          architecture: 'amd64',
          os: 'linux',
          config: { Labels: { seed } },
          rootfs: { type: 'layers', diff_ids: [] },
        }),
      );
      const pushed = await pushArtifact(client, `taco/${name}`, tag, {
        config: { mediaType: 'application/vnd.oci.image.config.v1+json', bytes: config },
        layers: [{ mediaType: 'application/vnd.oci.image.layer.v1.tar+gzip', bytes: layer }],
      });
      return pushed.digest;
    };
    const images: BomImage[] = [];
    for (const name of ['keystone', 'memcached']) {
      const digest = await pushImage(name, '1.0.0', 'released');
      images.push({ name, ref: `${registry.host}/taco/${name}:1.0.0`, digest });
    }
    const bom: BillOfMaterials = {
      schema: 1,
      release: '1.0.0',
      candidate: 'c.20261125.1',
      images,
      charts: [...charts.values()].map(({ pushed }) => ({
        name: pushed.name,
        version: pushed.version,
        ref: pushed.ref,
        digest: pushed.digest,
        contentDigest: pushed.contentDigest,
      })),
      commits: [],
      manifest: { file: 'site-manifest.yaml', target: 'site' },
    };
    const publish = async (content: BillOfMaterials, edit = (text: string) => text) => {
      const manifestYaml = renderReleaseManifest(
        readFileSync(SITE_MANIFEST, 'utf8'),
        'site-manifest.yaml',
        content,
        {
          scheme: 'http',
        },
      );
      const pushed = await pushRelease(client, location, { bom: content, manifestYaml: edit(manifestYaml) });
      return { ref: pushed.ref, digest: pushed.digest };
    };
    const release = await publish(bom);
    return {
      registry,
      client,
      location,
      charts,
      images,
      bom,
      releaseRef: release.ref,
      releaseDigest: release.digest,
      pushImage,
      publish,
      blobFile: (digest) => {
        const hex = digest.replace(/^sha256:/, '');
        return path.join(
          registry.dir,
          'data',
          'docker',
          'registry',
          'v2',
          'blobs',
          'sha256',
          hex.slice(0, 2),
          hex,
          'data',
        );
      },
      async stop() {
        client.close();
        await registry.stop();
      },
    };
  } catch (err) {
    client.close();
    await registry.stop();
    throw err;
  }
}

export interface Site {
  dir: string;
  profile: string;
  env: Record<string, string>;
  /** argv of every helm call. */
  calls(): string[][];
}

/** A deployment site: a profile whose registry section points at the world's registry, the real helm on PATH. */
export function makeSite(world: ReleaseWorld): Site {
  const dir = tempDir('deploy-armada-release-');
  const profile = path.join(dir, 'site.yaml');
  writeFileSync(
    profile,
    [
      'name: release-site',
      'registry:',
      `  url: ${world.registry.host}/taco`,
      '  username: { env: SITE_REGISTRY_USERNAME }',
      '  password: { env: SITE_REGISTRY_PASSWORD }',
      'armada:',
      '  helm: { concurrency: 2 }',
      '  variables:',
      '    RELEASE_UUID: nightly-7',
      '',
    ].join('\n'),
  );
  const helm = realHelmOnPath(dir);
  return {
    dir,
    profile,
    env: { ...helm.env, SITE_REGISTRY_USERNAME: USER, SITE_REGISTRY_PASSWORD: PASSWORD },
    calls: helm.calls,
  };
}
