/**
 * Checks for repository URLs that reach git from inputs, profiles and manifests (mirror-sync's
 * upstream and mirror, the ledger, promote-version's git-repos, Armada git chart sources): a value
 * git would read as an option, or one that carries credentials, never gets to git.
 */
import path from 'node:path';
import { UserError } from '../errors.js';

export type UrlKind = 'http' | 'ssh' | 'file';

/** How git reaches a URL: https/http, ssh (ssh:// or scp-style user@host:path), or a local path. */
export function urlKind(url: string): UrlKind {
  if (/^https?:\/\//i.test(url)) return 'http';
  if (/^(ssh|git\+ssh|ssh\+git):\/\//i.test(url) || /^[^/:]+@[^/:]+:/.test(url)) return 'ssh';
  return 'file';
}

/** Checks a repository URL and returns it trimmed. Credentials inside a URL are refused, and so is a
 * leading `-` (git would take it for an option). */
export function checkUrl(url: string, what: string): string {
  const value = url.trim();
  if (value === '') throw new UserError(`${what}: a repository URL is required`);
  if (value.startsWith('-')) throw new UserError(`${what}: a URL cannot start with '-'`);
  if (/^[a-z][a-z0-9+.-]*:\/\//i.test(value)) {
    let parsed: URL;
    try {
      parsed = new URL(value);
    } catch {
      throw new UserError(`${what}: not a valid URL`);
    }
    if (parsed.password || (urlKind(value) === 'http' && parsed.username)) {
      throw new UserError(
        `${what}: the URL carries credentials; pass the token as an input (or a profile {env: …} reference) instead`,
      );
    }
    if (!['http:', 'https:', 'ssh:', 'git+ssh:', 'ssh+git:', 'file:', 'git:'].includes(parsed.protocol)) {
      throw new UserError(
        `${what}: unsupported URL scheme ${parsed.protocol} (expected https, http, ssh, git or file)`,
      );
    }
  } else if (urlKind(value) === 'file' && !path.isAbsolute(value)) {
    throw new UserError(
      `${what}: expected a URL (https://, ssh://, git@host:path, file://) or an absolute path, got ${JSON.stringify(value)}`,
    );
  }
  return value;
}

/** A ref, branch or revision given to git next to a URL: refused when git would read it as an option. */
export function checkGitRef(ref: string, what: string): string {
  if (ref.startsWith('-'))
    throw new UserError(`${what}: a git reference cannot start with '-', got ${JSON.stringify(ref)}`);
  return ref;
}
