import { createHash } from 'node:crypto';
import { RegistryError } from './errors.js';
import { IMAGE_MANIFEST_TYPES, INDEX_MANIFEST_TYPES, MediaTypes } from './media-types.js';

/** A content descriptor (OCI image spec): what a manifest points at. */
export interface Descriptor {
  mediaType: string;
  digest: string;
  size: number;
  /** Foreign layers (Windows base layers) live elsewhere and are never copied. */
  urls?: string[];
  platform?: { architecture?: string; os?: string; variant?: string };
  artifactType?: string;
  annotations?: Record<string, string>;
}

/** A manifest exactly as stored: its bytes are what its digest is computed over. */
export interface RawManifest {
  bytes: Buffer;
  mediaType: string;
  digest: string;
}

/** What a manifest refers to, by kind. */
export interface ManifestReferences {
  kind: 'image' | 'index';
  /** Config and layers of an image manifest (blobs in the same repository). */
  blobs: Descriptor[];
  /** Manifests an index names (one per platform). */
  manifests: Descriptor[];
  /** OCI 1.1 `subject`: the manifest this one refers to (signatures, SBOMs). */
  subject?: Descriptor;
}

export function sha256Digest(bytes: Buffer): string {
  return `sha256:${createHash('sha256').update(bytes).digest('hex')}`;
}

/** Digest of bytes with the algorithm the expected digest names (sha256 or sha512). */
export function digestOf(bytes: Buffer, algorithm = 'sha256'): string {
  if (algorithm !== 'sha256' && algorithm !== 'sha512') {
    throw new RegistryError(`unsupported digest algorithm ${JSON.stringify(algorithm)}`);
  }
  return `${algorithm}:${createHash(algorithm).update(bytes).digest('hex')}`;
}

/** Throws unless `bytes` hash to `expected`. */
export function verifyDigest(bytes: Buffer, expected: string, what: string): void {
  const actual = digestOf(bytes, expected.split(':')[0]);
  if (actual !== expected) {
    throw new RegistryError(`${what}: content digest ${actual} does not match the expected ${expected}`, {
      code: 'DIGEST_INVALID',
    });
  }
}

/**
 * The media type of a manifest: the Content-Type the registry sent, or (OCI allows a manifest
 * without `mediaType`) the document's own field, or its shape.
 */
export function manifestMediaType(
  contentType: string | undefined,
  document: Record<string, unknown>,
): string {
  const header = contentType?.split(';')[0].trim();
  if (header && header !== 'application/json' && header !== 'application/octet-stream') return header;
  if (typeof document.mediaType === 'string') return document.mediaType;
  if (Array.isArray(document.manifests)) return MediaTypes.ociIndex;
  if (document.config) return MediaTypes.ociManifest;
  if (document.schemaVersion === 1) return MediaTypes.dockerSchema1Signed;
  return header ?? MediaTypes.ociManifest;
}

export function parseJsonManifest(bytes: Buffer, what: string): Record<string, unknown> {
  try {
    const value = JSON.parse(bytes.toString('utf8')) as unknown;
    if (typeof value === 'object' && value !== null && !Array.isArray(value))
      return value as Record<string, unknown>;
  } catch {
    // reported below
  }
  throw new RegistryError(`${what}: the manifest is not a JSON object`);
}

/** Lists what a manifest refers to; schema 1 manifests are refused (they cannot be copied as they are). */
export function manifestReferences(manifest: RawManifest, what: string): ManifestReferences {
  const document = parseJsonManifest(manifest.bytes, what);
  const subject = isDescriptor(document.subject) ? document.subject : undefined;
  if (INDEX_MANIFEST_TYPES.includes(manifest.mediaType)) {
    return {
      kind: 'index',
      blobs: [],
      manifests: descriptors(document.manifests, what, 'manifests'),
      subject,
    };
  }
  if (IMAGE_MANIFEST_TYPES.includes(manifest.mediaType) || document.config !== undefined) {
    const config = descriptors([document.config], what, 'config');
    const layers = descriptors(document.layers ?? [], what, 'layers');
    // Non-distributable (foreign) layers are fetched from their URLs, not the registry.
    return {
      kind: 'image',
      blobs: [...config, ...layers.filter((l) => !l.urls?.length)],
      manifests: [],
      subject,
    };
  }
  if (
    manifest.mediaType === MediaTypes.dockerSchema1 ||
    manifest.mediaType === MediaTypes.dockerSchema1Signed
  ) {
    throw new RegistryError(
      `${what}: a Docker schema 1 manifest cannot be promoted; push the image again with a current tool`,
    );
  }
  throw new RegistryError(`${what}: unsupported manifest media type ${JSON.stringify(manifest.mediaType)}`);
}

function isDescriptor(value: unknown): value is Descriptor {
  const d = value as Descriptor;
  return (
    typeof d === 'object' && d !== null && typeof d.digest === 'string' && typeof d.mediaType === 'string'
  );
}

function descriptors(value: unknown, what: string, field: string): Descriptor[] {
  if (!Array.isArray(value) || !value.every(isDescriptor)) {
    throw new RegistryError(`${what}: the manifest's ${field} is not a list of descriptors`);
  }
  return value;
}
