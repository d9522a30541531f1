/**
 * OCI artifacts: an OCI image manifest whose config has its own media type (Helm charts, TACO
 * releases) and whose layers are arbitrary blobs. Pushed and pulled through RegistryClient, so
 * auth, retries and digest checks are the ones promotion uses.
 */
import type { RegistryClient } from './client.js';
import { RegistryError } from './errors.js';
import { type Descriptor, type RawManifest, parseJsonManifest, sha256Digest } from './manifest.js';
import { IMAGE_MANIFEST_TYPES, INDEX_MANIFEST_TYPES, isValidMediaType, MediaTypes } from './media-types.js';
import { isDigest, isValidRepository, isValidTag } from './reference.js';

export interface ArtifactBlob {
  mediaType: string;
  bytes: Buffer;
  annotations?: Record<string, string>;
}

export interface ArtifactSpec {
  config: ArtifactBlob;
  layers: ArtifactBlob[];
  /** Manifest annotations. */
  annotations?: Record<string, string>;
}

export interface PushedArtifact {
  repository: string;
  tag: string;
  digest: string;
  manifest: RawManifest;
}

export interface PulledBlob {
  mediaType: string;
  digest: string;
  size: number;
  annotations?: Record<string, string>;
  bytes: Buffer;
}

export interface PulledArtifact {
  repository: string;
  reference: string;
  manifest: RawManifest;
  annotations: Record<string, string>;
  config: PulledBlob;
  layers: PulledBlob[];
}

export type ImmutablePushStatus = 'pushed' | 'unchanged' | 'planned';

/**
 * The OCI image manifest of an artifact (schemaVersion 2, mediaType
 * application/vnd.oci.image.manifest.v1+json). Deterministic: fixed key order, annotations
 * sorted by key, compact JSON, so the same spec always has the same digest.
 */
export function buildArtifactManifest(spec: ArtifactSpec): RawManifest {
  const document: Record<string, unknown> = {
    schemaVersion: 2,
    mediaType: MediaTypes.ociManifest,
    config: descriptorOf(spec.config, 'config'),
    layers: spec.layers.map((layer, i) => descriptorOf(layer, `layers[${i}]`)),
  };
  const annotations = sortedAnnotations(spec.annotations, 'manifest annotations');
  if (annotations) document.annotations = annotations;
  const bytes = Buffer.from(JSON.stringify(document), 'utf8');
  return { bytes, mediaType: MediaTypes.ociManifest, digest: sha256Digest(bytes) };
}

/** Uploads config + layers, PUTs the manifest under `tag` and checks the digest the registry stored. */
export async function pushArtifact(
  client: RegistryClient,
  repository: string,
  tag: string,
  spec: ArtifactSpec,
  options: { chunkSize?: number } = {},
): Promise<PushedArtifact> {
  checkTarget(repository, tag);
  const manifest = buildArtifactManifest(spec);
  const blobs = new Map<string, Buffer>();
  for (const blob of [spec.config, ...spec.layers]) blobs.set(sha256Digest(blob.bytes), blob.bytes);
  await Promise.all(
    [...blobs.values()].map((bytes) =>
      client.uploadBlob(repository, bytes, { chunkSize: options.chunkSize }),
    ),
  );
  await client.putManifestVerified(repository, tag, manifest);
  return { repository, tag, digest: manifest.digest, manifest };
}

/**
 * Pulls an artifact by tag or digest: the manifest (pinned by `expectedDigest` when given) must
 * be an image manifest, never an index; the config and every layer are fetched and checked
 * against their descriptor's digest and size.
 */
export async function pullArtifact(
  client: RegistryClient,
  repository: string,
  reference: string,
  options: { expectedDigest?: string } = {},
): Promise<PulledArtifact> {
  if (!isValidRepository(repository))
    throw new RegistryError(`invalid repository name ${JSON.stringify(repository)}`);
  if (!isValidTag(reference) && !isDigest(reference)) {
    throw new RegistryError(
      `invalid tag or digest ${JSON.stringify(reference)} for ${client.host}/${repository}`,
    );
  }
  const where = `${client.host}/${repository}${isDigest(reference) ? '@' : ':'}${reference}`;
  const manifest = await client.getManifest(repository, reference);
  if (options.expectedDigest && manifest.digest !== options.expectedDigest) {
    throw new RegistryError(
      `${where}: the manifest has digest ${manifest.digest}, expected ${options.expectedDigest}`,
      {
        code: 'DIGEST_INVALID',
      },
    );
  }
  if (INDEX_MANIFEST_TYPES.includes(manifest.mediaType)) {
    throw new RegistryError(`${where}: is an image index (${manifest.mediaType}), not an artifact manifest`, {
      code: 'MANIFEST_INVALID',
    });
  }
  if (!IMAGE_MANIFEST_TYPES.includes(manifest.mediaType)) {
    throw new RegistryError(
      `${where}: unsupported manifest media type ${JSON.stringify(manifest.mediaType)}`,
      {
        code: 'MANIFEST_INVALID',
      },
    );
  }
  const document = parseJsonManifest(manifest.bytes, where);
  const config = readDescriptor(document.config, where, 'config');
  if (!Array.isArray(document.layers)) {
    throw new RegistryError(`${where}: the manifest has no layers list`, { code: 'MANIFEST_INVALID' });
  }
  const layers = document.layers.map((layer, i) => readDescriptor(layer, where, `layers[${i}]`));
  const pull = async (descriptor: Descriptor, field: string): Promise<PulledBlob> => {
    const bytes = await client.getBlob(repository, descriptor.digest);
    if (bytes.length !== descriptor.size) {
      throw new RegistryError(
        `${where}: ${field} ${descriptor.digest} has ${bytes.length} bytes, the manifest says ${descriptor.size}`,
        { code: 'SIZE_INVALID' },
      );
    }
    return {
      mediaType: descriptor.mediaType,
      digest: descriptor.digest,
      size: descriptor.size,
      ...(descriptor.annotations ? { annotations: descriptor.annotations } : {}),
      bytes,
    };
  };
  const [pulledConfig, ...pulledLayers] = await Promise.all([
    pull(config, 'config'),
    ...layers.map((layer, i) => pull(layer, `layers[${i}]`)),
  ]);
  return {
    repository,
    reference,
    manifest,
    annotations: stringMap(document.annotations, where, 'annotations') ?? {},
    config: pulledConfig,
    layers: pulledLayers,
  };
}

/**
 * Immutability, as for release image tags: an absent tag is pushed ('planned' on a dry run); a
 * tag already holding this exact manifest is left alone ('unchanged'); a tag holding anything
 * else is refused with RegistryError code 'TAG_TAKEN' naming both digests.
 */
export async function pushImmutable(
  client: RegistryClient,
  repository: string,
  tag: string,
  spec: ArtifactSpec,
  options: { chunkSize?: number; dryRun?: boolean } = {},
): Promise<PushedArtifact & { status: ImmutablePushStatus }> {
  checkTarget(repository, tag);
  const manifest = buildArtifactManifest(spec);
  const existing = await client.headManifest(repository, tag);
  if (existing?.digest === manifest.digest) {
    return { repository, tag, digest: manifest.digest, manifest, status: 'unchanged' };
  }
  if (existing) {
    throw new RegistryError(
      `${client.host}/${repository}:${tag} is taken: it holds ${existing.digest}, not ${manifest.digest} ` +
        `(tags are immutable; choose another tag)`,
      { code: 'TAG_TAKEN' },
    );
  }
  if (options.dryRun) return { repository, tag, digest: manifest.digest, manifest, status: 'planned' };
  const pushed = await pushArtifact(client, repository, tag, spec, options);
  return { ...pushed, status: 'pushed' };
}

function descriptorOf(blob: ArtifactBlob, field: string): Descriptor {
  if (!isValidMediaType(blob.mediaType)) {
    throw new RegistryError(`artifact ${field}: invalid media type ${JSON.stringify(blob.mediaType)}`);
  }
  if (!Buffer.isBuffer(blob.bytes)) throw new RegistryError(`artifact ${field}: bytes must be a Buffer`);
  const annotations = sortedAnnotations(blob.annotations, `artifact ${field} annotations`);
  return {
    mediaType: blob.mediaType,
    digest: sha256Digest(blob.bytes),
    size: blob.bytes.length,
    ...(annotations ? { annotations } : {}),
  };
}

function sortedAnnotations(
  annotations: Record<string, string> | undefined,
  what: string,
): Record<string, string> | undefined {
  if (!annotations || Object.keys(annotations).length === 0) return undefined;
  const sorted: Record<string, string> = {};
  for (const key of Object.keys(annotations).sort()) {
    if (typeof annotations[key] !== 'string') {
      throw new RegistryError(`${what}: the value of ${JSON.stringify(key)} must be a string`);
    }
    sorted[key] = annotations[key];
  }
  return sorted;
}

function checkTarget(repository: string, tag: string): void {
  if (!isValidRepository(repository))
    throw new RegistryError(`invalid repository name ${JSON.stringify(repository)}`);
  if (!isValidTag(tag)) {
    throw new RegistryError(
      `invalid tag ${JSON.stringify(tag)} for ${repository}: up to 128 of [A-Za-z0-9_.-], not starting with . or -`,
    );
  }
}

function readDescriptor(value: unknown, where: string, field: string): Descriptor {
  const d = value as Partial<Descriptor> | null;
  if (
    typeof d !== 'object' ||
    d === null ||
    typeof d.mediaType !== 'string' ||
    typeof d.digest !== 'string' ||
    !isDigest(d.digest) ||
    typeof d.size !== 'number' ||
    !Number.isSafeInteger(d.size) ||
    d.size < 0
  ) {
    throw new RegistryError(
      `${where}: the manifest's ${field} is not a valid descriptor {mediaType, digest, size}`,
      {
        code: 'MANIFEST_INVALID',
      },
    );
  }
  const annotations = stringMap(d.annotations, where, `${field}.annotations`);
  return { mediaType: d.mediaType, digest: d.digest, size: d.size, ...(annotations ? { annotations } : {}) };
}

function stringMap(value: unknown, where: string, field: string): Record<string, string> | undefined {
  if (value === undefined) return undefined;
  if (
    typeof value !== 'object' ||
    value === null ||
    Array.isArray(value) ||
    !Object.values(value).every((v) => typeof v === 'string')
  ) {
    throw new RegistryError(`${where}: the manifest's ${field} is not a map of strings`, {
      code: 'MANIFEST_INVALID',
    });
  }
  return value as Record<string, string>;
}
