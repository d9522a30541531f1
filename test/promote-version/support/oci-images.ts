/**
 * Builds small images without any container engine — OCI image layouts and `docker save`
 * archives from tar layers written here — and pushes them with skopeo to a test registry.
 */
import { execFile } from 'node:child_process';
import { createHash, randomBytes } from 'node:crypto';
import { mkdirSync, writeFileSync, readFileSync, existsSync } from 'node:fs';
import path from 'node:path';
import { promisify } from 'node:util';
import { gzipSync } from 'node:zlib';

const run = promisify(execFile);

const sha256 = (data: Buffer) => createHash('sha256').update(data).digest('hex');

/** A POSIX ustar archive of regular files (sorted, mtime 0, root-owned). */
export function tarOf(files: Record<string, string | Buffer>): Buffer {
  const blocks: Buffer[] = [];
  for (const name of Object.keys(files).sort()) {
    const data = Buffer.isBuffer(files[name]) ? (files[name] as Buffer) : Buffer.from(files[name] as string);
    const header = Buffer.alloc(512);
    header.write(name, 0, 100);
    header.write('0000644\0', 100);
    header.write('0000000\0', 108);
    header.write('0000000\0', 116);
    header.write(data.length.toString(8).padStart(11, '0') + '\0', 124);
    header.write('00000000000\0', 136);
    header.write('        ', 148);
    header.write('0', 156);
    header.write('ustar\0', 257);
    header.write('00', 263);
    header.write('root', 265);
    header.write('root', 297);
    let sum = 0;
    for (const byte of header) sum += byte;
    header.write(sum.toString(8).padStart(6, '0') + '\0 ', 148);
    blocks.push(header, data, Buffer.alloc((512 - (data.length % 512)) % 512));
  }
  blocks.push(Buffer.alloc(1024));
  return Buffer.concat(blocks);
}

/** `count` small layers whose content is unique to `seed` (plus random bytes, so every build differs). */
export function uniqueLayers(seed: string, count: number, bytesPerLayer = 256): Buffer[] {
  return Array.from({ length: count }, (_, i) =>
    tarOf({
      [`layer-${i}/${seed}.txt`]: `${seed} layer ${i}\n`,
      [`layer-${i}/data.bin`]: randomBytes(bytesPerLayer),
    }),
  );
}

interface Descriptor {
  mediaType: string;
  digest: string;
  size: number;
  platform?: { architecture: string; os: string };
  annotations?: Record<string, string>;
}

/** An OCI image layout directory (image-layout spec): `oci-layout`, `index.json`, `blobs/sha256/…`. */
export class OciLayout {
  private readonly refs: Descriptor[] = [];
  constructor(readonly dir: string) {
    mkdirSync(path.join(dir, 'blobs', 'sha256'), { recursive: true });
    writeFileSync(path.join(dir, 'oci-layout'), JSON.stringify({ imageLayoutVersion: '1.0.0' }));
  }

  private blob(mediaType: string, data: Buffer): Descriptor {
    const hex = sha256(data);
    const file = path.join(this.dir, 'blobs', 'sha256', hex);
    if (!existsSync(file)) writeFileSync(file, data);
    return { mediaType, digest: `sha256:${hex}`, size: data.length };
  }

  /** An image manifest with gzip layers; returns its descriptor. `ref` names it in index.json. */
  addImage(options: {
    layers: Buffer[];
    architecture?: string;
    ref?: string;
    labels?: Record<string, string>;
  }): Descriptor {
    const architecture = options.architecture ?? 'amd64';
    const compressed = options.layers.map((tar) => ({ tar, gz: gzipSync(tar) }));
    const config = {
      architecture,
      os: 'linux',
      config: { Labels: options.labels ?? {} },
      rootfs: { type: 'layers', diff_ids: compressed.map(({ tar }) => `sha256:${sha256(tar)}`) },
      history: compressed.map(() => ({ created_by: 'oci-images.ts' })),
    };
    const manifest = {
      schemaVersion: 2,
      mediaType: 'application/vnd.oci.image.manifest.v1+json',
      config: this.blob('application/vnd.oci.image.config.v1+json', Buffer.from(JSON.stringify(config))),
      layers: compressed.map(({ gz }) => this.blob('application/vnd.oci.image.layer.v1.tar+gzip', gz)),
    };
    const descriptor = {
      ...this.blob(manifest.mediaType, Buffer.from(JSON.stringify(manifest))),
      platform: { architecture, os: 'linux' },
    };
    if (options.ref) this.name(descriptor, options.ref);
    return descriptor;
  }

  /** A multi-platform OCI index over image descriptors. */
  addIndex(manifests: Descriptor[], ref: string): Descriptor {
    const index = { schemaVersion: 2, mediaType: 'application/vnd.oci.image.index.v1+json', manifests };
    const descriptor = this.blob(index.mediaType, Buffer.from(JSON.stringify(index)));
    this.name(descriptor, ref);
    return descriptor;
  }

  private name(descriptor: Descriptor, ref: string): void {
    const { platform: _platform, ...plain } = descriptor;
    this.refs.push({ ...plain, annotations: { 'org.opencontainers.image.ref.name': ref } });
    writeFileSync(
      path.join(this.dir, 'index.json'),
      JSON.stringify({ schemaVersion: 2, manifests: this.refs }),
    );
  }
}

/** A `docker save` archive (manifest.json + config + uncompressed layer tars) of one image. */
export function writeDockerArchive(file: string, options: { repoTag: string; layers: Buffer[] }): void {
  const config = {
    architecture: 'amd64',
    os: 'linux',
    config: {},
    rootfs: { type: 'layers', diff_ids: options.layers.map((tar) => `sha256:${sha256(tar)}`) },
  };
  const configData = Buffer.from(JSON.stringify(config));
  const configName = `${sha256(configData)}.json`;
  const files: Record<string, Buffer> = { [configName]: configData };
  const layerNames = options.layers.map((tar) => {
    const name = `${sha256(tar)}/layer.tar`;
    files[name] = tar;
    return name;
  });
  files['manifest.json'] = Buffer.from(
    JSON.stringify([{ Config: configName, RepoTags: [options.repoTag], Layers: layerNames }]),
  );
  writeFileSync(file, tarOf(files));
}

export interface PushOptions {
  /** user:password for an htpasswd registry. */
  creds?: string;
  /** Copy every platform of an index. */
  all?: boolean;
}

/** `skopeo copy <source> docker://<dest>`; returns the pushed manifest's digest. */
export async function skopeoPush(source: string, dest: string, options: PushOptions = {}): Promise<string> {
  const digestFile = path.join(
    path.dirname(source.replace(/^[a-z-]+:/, '').split(':')[0]),
    `.digest-${randomBytes(4).toString('hex')}`,
  );
  const args = ['copy', '--quiet', '--dest-tls-verify=false', '--digestfile', digestFile];
  if (options.creds) args.push('--dest-creds', options.creds);
  if (options.all) args.push('--all');
  args.push(source, `docker://${dest}`);
  await run('skopeo', args, { env: { ...process.env, HOME: process.env.HOME ?? '/root' } });
  return readFileSync(digestFile, 'utf8').trim();
}
