/** Manifest media types of the Docker Registry HTTP API v2 and the OCI image/distribution specs. */
export const MediaTypes = {
  dockerManifest: 'application/vnd.docker.distribution.manifest.v2+json',
  dockerManifestList: 'application/vnd.docker.distribution.manifest.list.v2+json',
  dockerSchema1: 'application/vnd.docker.distribution.manifest.v1+json',
  dockerSchema1Signed: 'application/vnd.docker.distribution.manifest.v1+prettyjws',
  ociManifest: 'application/vnd.oci.image.manifest.v1+json',
  ociIndex: 'application/vnd.oci.image.index.v1+json',
  /** OCI 1.1's config for artifacts that need none: the two bytes `{}`. */
  ociEmpty: 'application/vnd.oci.empty.v1+json',
} as const;

// RFC 6838 section 4.2 restricted names, optionally with parameters (OCI image spec "Media Types").
const MEDIA_TYPE =
  /^[A-Za-z0-9][A-Za-z0-9!#$&^_.+-]{0,126}\/[A-Za-z0-9][A-Za-z0-9!#$&^_.+-]{0,126}(?:\s*;\s*[A-Za-z0-9!#$&^_.+-]+=(?:[A-Za-z0-9!#$&^_.+-]+|"[^"]*"))*$/;

/** Whether `text` is a syntactically valid media type (`type/subtype[; param=value]`). */
export function isValidMediaType(text: string): boolean {
  return MEDIA_TYPE.test(text);
}

/** Manifests that name a config and layers (images, and OCI artifacts with their own config type). */
export const IMAGE_MANIFEST_TYPES: readonly string[] = [MediaTypes.dockerManifest, MediaTypes.ociManifest];
/** Manifests that name other manifests (multi-arch images). */
export const INDEX_MANIFEST_TYPES: readonly string[] = [MediaTypes.dockerManifestList, MediaTypes.ociIndex];

/**
 * Sent with every manifest GET/HEAD. Without it a distribution registry answers with a schema 1
 * manifest converted on the fly, which has another digest than the one that was pushed.
 */
export const MANIFEST_ACCEPT = [
  MediaTypes.ociIndex,
  MediaTypes.ociManifest,
  MediaTypes.dockerManifestList,
  MediaTypes.dockerManifest,
].join(', ');
