import { UserError } from '../errors.js';

/** `host[:port][/namespace]`: where a suite's artifacts live. */
export interface RegistryLocation {
  /** host[:port] */
  host: string;
  /** Repository path prefix without slashes at either end; '' for none. */
  namespace: string;
}

/** A full image reference `host[:port]/repo[:tag][@digest]`. */
export interface ImageReference {
  host: string;
  repository: string;
  tag?: string;
  digest?: string;
}

const HOST =
  /^(?:[A-Za-z0-9](?:[A-Za-z0-9-]*[A-Za-z0-9])?)(?:\.[A-Za-z0-9](?:[A-Za-z0-9-]*[A-Za-z0-9])?)*(?::[0-9]{1,5})?$/;
const PATH_COMPONENT = /^[a-z0-9]+(?:(?:[._]|__|-+)[a-z0-9]+)*$/;
const TAG = /^[\w][\w.-]{0,127}$/;
const DIGEST = /^[a-z0-9]+(?:[+._-][a-z0-9]+)*:[a-zA-Z0-9=_-]+$/;

export function isValidRepository(path: string): boolean {
  return path.length > 0 && path.length <= 255 && path.split('/').every((part) => PATH_COMPONENT.test(part));
}

export function isValidTag(tag: string): boolean {
  return TAG.test(tag);
}

export function isDigest(ref: string): boolean {
  return DIGEST.test(ref);
}

/** Parses `host[:port][/namespace]`; `what` names the setting in errors. */
export function parseRegistryLocation(text: string, what: string): RegistryLocation {
  const value = text
    .trim()
    .replace(/^[a-z]+:\/\//, '')
    .replace(/\/+$/, '');
  const slash = value.indexOf('/');
  const host = slash === -1 ? value : value.slice(0, slash);
  const namespace = slash === -1 ? '' : value.slice(slash + 1);
  if (!HOST.test(host) || (namespace !== '' && !isValidRepository(namespace))) {
    throw new UserError(
      `${what}: expected a registry reference host[:port][/namespace], got ${JSON.stringify(text)}`,
    );
  }
  return { host, namespace };
}

/** Parses a full image reference; `what` names the value in errors. */
export function parseImageReference(text: string, what: string): ImageReference {
  const value = text.trim();
  const fail = () =>
    new UserError(
      `${what}: expected an image reference host[:port]/repository[:tag][@digest], got ${JSON.stringify(text)}`,
    );
  const slash = value.indexOf('/');
  if (slash === -1) throw fail();
  const host = value.slice(0, slash);
  let rest = value.slice(slash + 1);
  let digest: string | undefined;
  const at = rest.indexOf('@');
  if (at !== -1) {
    digest = rest.slice(at + 1);
    rest = rest.slice(0, at);
    if (!isDigest(digest)) throw fail();
  }
  let tag: string | undefined;
  const colon = rest.lastIndexOf(':');
  if (colon !== -1) {
    tag = rest.slice(colon + 1);
    rest = rest.slice(0, colon);
    if (!isValidTag(tag)) throw fail();
  }
  if (!HOST.test(host) || !isValidRepository(rest)) throw fail();
  return { host, repository: rest, tag, digest };
}

export function joinRepository(...parts: (string | undefined)[]): string {
  return parts
    .filter((part): part is string => !!part)
    .map((part) => part.replace(/^\/+|\/+$/g, ''))
    .filter((part) => part !== '')
    .join('/');
}

export function formatReference(ref: ImageReference): string {
  return `${ref.host}/${ref.repository}${ref.tag ? `:${ref.tag}` : ''}${ref.digest ? `@${ref.digest}` : ''}`;
}

/** Loopback registries are plain HTTP; anything else is HTTPS unless declared insecure. */
export { isLoopbackHost } from '../http/loopback.js';
