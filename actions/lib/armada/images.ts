/**
 * Image tags built and tested by kolla-bats, mapped into charts' `values.images.tags`. A tag entry
 * is replaced when the image it names today has the same repository name as a built image
 * (`sktdev/ubuntu-source-keystone-stein:taco-v20.05` ← `registry/taco/ubuntu-source-keystone-stein:2026.11.25`),
 * so manifests need no change; the profile can map further entries explicitly.
 */
import { UserError } from '../errors.js';

export interface BuiltImage {
  /** Repository name without registry and namespace (`keystone`, `ubuntu-source-keystone-stein`). */
  name: string;
  /** Full reference to deploy (`registry.example:5000/taco/keystone:2026.11.25`, or with @sha256:...). */
  ref: string;
}

export interface ImageTagChange {
  chart: string;
  key: string;
  from?: string;
  to: string;
}

/** `registry:5000/ns/name:tag@sha256:…` → `name`. */
export function repositoryName(ref: string): string {
  const withoutDigest = ref.split('@')[0];
  const lastSlash = withoutDigest.lastIndexOf('/');
  const last = withoutDigest.slice(lastSlash + 1);
  const colon = last.indexOf(':');
  return colon < 0 ? last : last.slice(0, colon);
}

function fromObject(item: Record<string, unknown>, where: string): BuiltImage {
  const ref = item.ref ?? item.image ?? item.reference;
  if (typeof ref === 'string' && ref) {
    // kolla-bats reports the pushed digest: deploy exactly the image that passed its tests.
    const pinned =
      typeof item.digest === 'string' && item.digest && !ref.includes('@') ? `${ref}@${item.digest}` : ref;
    return {
      name: typeof item.name === 'string' && item.name ? repositoryName(item.name) : repositoryName(ref),
      ref: pinned,
    };
  }
  if (typeof item.repository === 'string' && typeof item.tag === 'string') {
    const digest = typeof item.digest === 'string' && item.digest ? `@${item.digest}` : '';
    return { name: repositoryName(item.repository), ref: `${item.repository}:${item.tag}${digest}` };
  }
  throw new UserError(
    `Input 'images': ${where} needs a "ref" (or "image", or "repository" and "tag"), got ${JSON.stringify(item)}`,
  );
}

/**
 * Reads kolla-bats' `images` output — `[{name, ref, digest, tests}]`, the digest pinned when the
 * image was pushed — and the other shapes such lists come in: references, objects with
 * `image` or `repository` + `tag`, a mapping name → reference, or one reference per line.
 */
export function parseImages(text: string): BuiltImage[] {
  const trimmed = text.trim();
  if (!trimmed) return [];
  if (!/^[[{]/.test(trimmed)) {
    return trimmed
      .split(/[\r\n,]+/)
      .map((line) => line.trim())
      .filter(Boolean)
      .map((ref) => ({ name: repositoryName(ref), ref }));
  }
  let data: unknown;
  try {
    data = JSON.parse(trimmed);
  } catch (err) {
    throw new UserError(
      `Input 'images': expected kolla-bats' JSON images output (${(err as Error).message})`,
    );
  }
  if (Array.isArray(data)) {
    return data.map((item, i) => {
      if (typeof item === 'string') return { name: repositoryName(item), ref: item };
      if (typeof item === 'object' && item !== null)
        return fromObject(item as Record<string, unknown>, `item ${i + 1}`);
      throw new UserError(
        `Input 'images': item ${i + 1} should be an image reference, got ${JSON.stringify(item)}`,
      );
    });
  }
  const map = data as Record<string, unknown>;
  if (Array.isArray(map.images)) return parseImages(JSON.stringify(map.images));
  return Object.entries(map).map(([name, value]) => {
    if (typeof value === 'string') return { name: repositoryName(name), ref: value };
    if (typeof value === 'object' && value !== null)
      return fromObject({ name, ...(value as Record<string, unknown>) }, JSON.stringify(name));
    throw new UserError(
      `Input 'images': ${JSON.stringify(name)} should map to an image reference, got ${JSON.stringify(value)}`,
    );
  });
}

/**
 * Rewrites `images.tags` in one chart's values (in place). `explicit` maps tag keys to built image
 * names for entries the manifest does not name by repository.
 */
export function applyImageTags(
  chart: string,
  values: Record<string, unknown>,
  images: BuiltImage[],
  explicit: Record<string, string> = {},
): ImageTagChange[] {
  if (!images.length) return [];
  const byName = new Map(images.map((image) => [image.name, image.ref]));
  const changes: ImageTagChange[] = [];
  const imagesValue = (values.images ??= {}) as Record<string, unknown>;
  const tags = (imagesValue.tags ??= {}) as Record<string, unknown>;
  for (const [key, current] of Object.entries(tags)) {
    if (typeof current !== 'string' || key in explicit) continue;
    const ref = byName.get(repositoryName(current));
    if (ref && ref !== current) {
      tags[key] = ref;
      changes.push({ chart, key, from: current, to: ref });
    }
  }
  for (const [key, imageName] of Object.entries(explicit)) {
    const ref = byName.get(repositoryName(imageName));
    if (!ref) continue;
    const from = typeof tags[key] === 'string' ? (tags[key] as string) : undefined;
    tags[key] = ref;
    changes.push({ chart, key, from, to: ref });
  }
  if (Object.keys(tags).length === 0) delete imagesValue.tags;
  if (Object.keys(imagesValue).length === 0) delete values.images;
  return changes;
}
