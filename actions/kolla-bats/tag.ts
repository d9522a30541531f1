import { UserError } from '../lib/errors.js';

/** A Docker/OCI tag: `[A-Za-z0-9_][A-Za-z0-9_.-]{0,127}`. */
export const TAG_PATTERN = /^[A-Za-z0-9_][A-Za-z0-9_.-]{0,127}$/;
const MAX_TAG = 128;

export interface TagSource {
  /** Branch name (`feature/x`); refs/heads/ is stripped. */
  branch?: string;
  /** Full or short commit SHA. */
  sha?: string;
  /** The workflow run number (increments on every run of the workflow). */
  runNumber?: string;
}

/** Turns any text into tag characters: runs of other characters become one `-`, no leading `.`/`-`. */
export function sanitizeTagPart(text: string): string {
  return text
    .replace(/^refs\/(heads|tags)\//, '')
    .replace(/[^A-Za-z0-9_.-]+/g, '-')
    .replace(/-{2,}/g, '-')
    .replace(/^[.-]+/, '')
    .replace(/[.-]+$/, '');
}

/**
 * The default candidate tag `<branch>-<sha7>-<run>`: `feature/Kolla_2025.1` at 0a1b2c3…, run 57 →
 * `feature-Kolla_2025.1-0a1b2c3-57`. The branch is shortened so the tag stays within 128 characters.
 */
export function candidateTag(source: TagSource): string {
  const sha = source.sha ? sanitizeTagPart(source.sha.slice(0, 7)) : '';
  const run = source.runNumber ? sanitizeTagPart(source.runNumber) : '';
  if (!sha) {
    throw new UserError(
      "Input 'tag' was not given and no commit SHA is known (GITHUB_SHA unset and the workspace is not a git checkout): set a candidate tag",
    );
  }
  const suffix = [sha, run].filter(Boolean).join('-');
  const room = MAX_TAG - suffix.length - 1;
  const branch = sanitizeTagPart(source.branch ?? '')
    .slice(0, room)
    .replace(/[.-]+$/, '');
  return branch ? `${branch}-${suffix}` : suffix;
}

/** Checks a tag given by the user. */
export function validateTag(tag: string, what: string): string {
  if (!TAG_PATTERN.test(tag)) {
    throw new UserError(
      `${what}: expected a valid image tag (letters, digits, _ . -, not starting with . or -, at most 128 characters), got ${JSON.stringify(tag)}`,
    );
  }
  return tag;
}
