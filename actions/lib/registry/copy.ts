import type { RegistryClient } from './client.js';
import { RegistryError } from './errors.js';
import { manifestReferences, type RawManifest } from './manifest.js';

export interface ManifestCopy {
  sourceRepository: string;
  /** Digest (preferred: it pins the content) or tag of the manifest to copy. */
  sourceReference: string;
  targetRepository: string;
  /** Tag (or digest) to store the manifest under. */
  targetReference: string;
  /** When set, the source must have exactly this digest. */
  expectedDigest?: string;
  /** The source manifest's bytes, when already read (its digest is checked like a fresh GET's). */
  source?: RawManifest;
}

export interface ManifestCopyResult {
  digest: string;
  mediaType: string;
  /** Blobs mounted from the source repository (0 within one repository). */
  mountedBlobs: number;
  /** Platform manifests copied for an index. */
  childManifests: number;
}

/**
 * Copies a manifest byte for byte, so its digest cannot change: GET the exact bytes (unless the
 * caller already has them), make every blob (and, for an index, every platform manifest) exist in
 * the target repository by cross-repository mount, and PUT the bytes with their media type. The
 * registry's Docker-Content-Digest on the PUT answer is the digest of what it stored, so it proves
 * the copy; only a registry that does not send it costs a read-back HEAD. Within one repository
 * only the PUT is needed.
 */
export async function copyManifest(client: RegistryClient, copy: ManifestCopy): Promise<ManifestCopyResult> {
  const source =
    copy.source ??
    (await client.getManifest(copy.sourceRepository, copy.expectedDigest ?? copy.sourceReference));
  const where = `${client.host}/${copy.sourceRepository}@${source.digest}`;
  if (copy.expectedDigest && source.digest !== copy.expectedDigest) {
    throw new RegistryError(`${where}: expected digest ${copy.expectedDigest}`, { code: 'DIGEST_INVALID' });
  }
  let mountedBlobs = 0;
  let childManifests = 0;
  const references = manifestReferences(source, where);
  if (copy.sourceRepository !== copy.targetRepository) {
    if (references.kind === 'index') {
      const children = await Promise.all(
        references.manifests.map((child) =>
          copyManifest(client, {
            sourceRepository: copy.sourceRepository,
            sourceReference: child.digest,
            targetRepository: copy.targetRepository,
            targetReference: child.digest,
            expectedDigest: child.digest,
          }),
        ),
      );
      childManifests = children.length;
      mountedBlobs = children.reduce((sum, child) => sum + child.mountedBlobs, 0);
    } else {
      const unique = [...new Set(references.blobs.map((blob) => blob.digest))];
      const mounted = await Promise.all(
        unique.map((digest) => client.mountBlob(copy.targetRepository, digest, copy.sourceRepository)),
      );
      const refused = unique.filter((_, i) => !mounted[i]);
      if (refused.length) {
        throw new RegistryError(
          `${client.host} refused to mount ${refused.join(', ')} from ${copy.sourceRepository} into ${copy.targetRepository} ` +
            `(cross-repository mount disabled or the blob is missing)`,
          { code: 'BLOB_UNKNOWN' },
        );
      }
      mountedBlobs = unique.length;
    }
  }
  await client.putManifestVerified(copy.targetRepository, copy.targetReference, source);
  return { digest: source.digest, mediaType: source.mediaType, mountedBlobs, childManifests };
}
