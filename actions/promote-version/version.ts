import semver from 'semver';
import { UserError } from '../lib/errors.js';

export type VersionRequest = { kind: 'next-major' } | { kind: 'explicit'; version: string };

/** `next-major` or an exact release version `X.Y.Z` (no `v`, no pre-release: release tags are plain). */
export function parseVersionRequest(text: string, what: string): VersionRequest {
  const value = text.trim();
  if (value === '' || value === 'next-major') return { kind: 'next-major' };
  if (!/^\d+\.\d+\.\d+$/.test(value) || semver.valid(value) !== value) {
    throw new UserError(
      `${what}: expected next-major or a release version X.Y.Z such as 3.0.0, got ${JSON.stringify(text)}`,
    );
  }
  return { kind: 'explicit', version: value };
}

/** Release versions among tags: plain semver (a leading `v` is tolerated in git tags); pre-releases and build tags do not count. */
export function releaseVersions(tags: Iterable<string>): string[] {
  const versions = new Set<string>();
  for (const tag of tags) {
    const parsed = semver.parse(tag);
    if (parsed && parsed.prerelease.length === 0 && parsed.build.length === 0) versions.add(parsed.version);
  }
  return semver.rsort([...versions]);
}

/** The highest release among the tags, if any. */
export function highestRelease(tags: Iterable<string>): string | undefined {
  return releaseVersions(tags)[0];
}

/** `N.0.0` with N one more than the highest major released so far; `1.0.0` for the first release. */
export function nextMajor(tags: Iterable<string>): string {
  const highest = highestRelease(tags);
  return highest ? `${semver.major(highest) + 1}.0.0` : '1.0.0';
}
