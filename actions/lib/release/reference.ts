import { UserError } from '../errors.js';
import { joinRepository, parseImageReference, type RegistryLocation } from '../registry/reference.js';

export const RELEASE_REPOSITORY = 'taco-release';

/** `<namespace>/taco-release`: where a registry keeps its release artifacts. */
export function releaseRepository(location: RegistryLocation): string {
  return joinRepository(location.namespace, RELEASE_REPOSITORY);
}

export interface ReleaseRef {
  host: string;
  repository: string;
  /** The digest when one is given (it pins the content), else the tag. */
  reference: string;
  tag?: string;
  digest?: string;
}

/**
 * `host[:port]/<ns>/taco-release:<tag>` or `…@sha256:…`; with `registry`, a bare tag names a
 * release of that registry. `what` names the value in errors.
 */
export function parseReleaseRef(text: string, what: string, registry?: RegistryLocation): ReleaseRef {
  const full =
    registry && !text.includes('/')
      ? formatReleaseRef(registry.host, releaseRepository(registry), text)
      : text;
  const ref = parseImageReference(full.replace(/^oci:\/\//, ''), what);
  if (!ref.tag && !ref.digest)
    throw new UserError(
      `${what}: expected a release reference <registry>/${RELEASE_REPOSITORY}:<tag> (or @sha256:…), got ${JSON.stringify(text)} without a tag or digest`,
    );
  return { ...ref, reference: ref.digest ?? ref.tag! };
}

export function formatReleaseRef(host: string, repository: string, tag: string): string {
  return `${host}/${repository}:${tag}`;
}
