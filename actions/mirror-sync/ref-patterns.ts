import picomatch from 'picomatch';

/**
 * Ref selection. Patterns are globs over full ref names, the same syntax as the `branches:` and
 * `tags:` filters of a workflow: `*` stays within one path segment, `**` crosses segments. A
 * pattern that does not start with `refs/` names branches (`stable/*` → `refs/heads/stable/*`).
 */
export const DEFAULT_REFS: readonly string[] = ['refs/heads/**', 'refs/tags/**'];

/** Characters git forbids in ref names (git-check-ref-format(1)), wildcards aside. */
// eslint-disable-next-line no-control-regex -- control characters are exactly what git forbids
const FORBIDDEN = /[\s~^:\\\x00-\x1f\x7f]|\.\.|@\{|\/\/|^\/|\/$|\.lock(\/|$)|(^|\/)\./;

export function normalizePattern(pattern: string): string {
  const trimmed = pattern.trim();
  return trimmed.startsWith('refs/') ? trimmed : `refs/heads/${trimmed}`;
}

/** The reason a pattern cannot select any valid ref, or undefined when it is fine. */
export function patternProblem(pattern: string): string | undefined {
  const normalized = normalizePattern(pattern);
  if (pattern.trim() === '') return 'is empty';
  if (FORBIDDEN.test(normalized))
    return `${JSON.stringify(pattern)} is not a valid ref pattern (see git-check-ref-format)`;
  if (normalized === 'refs/heads/' || normalized.split('/').length < 3)
    return `${JSON.stringify(pattern)} names no ref below refs/<kind>/`;
  return undefined;
}

export interface RefSelector {
  /** True when the ref is mirrored. */
  selects(ref: string): boolean;
  /** True when refs outside refs/heads and refs/tags are never selected (ls-remote can filter). */
  readonly scope: { heads: boolean; tags: boolean } | undefined;
}

export function refSelector(include: readonly string[], exclude: readonly string[] = []): RefSelector {
  const includes = include.map(normalizePattern);
  const excludes = exclude.map(normalizePattern);
  const included = picomatch(includes, { dot: true });
  const excluded = excludes.length > 0 ? picomatch(excludes, { dot: true }) : () => false;
  const heads = includes.some((p) => p.startsWith('refs/heads/'));
  const tags = includes.some((p) => p.startsWith('refs/tags/'));
  const onlyHeadsAndTags = includes.every((p) => p.startsWith('refs/heads/') || p.startsWith('refs/tags/'));
  return {
    selects: (ref) => included(ref) && !excluded(ref),
    scope: onlyHeadsAndTags ? { heads, tags } : undefined,
  };
}

/** A ref's kind, which decides what counts as a safe update. */
export function refKind(ref: string): 'branch' | 'tag' | 'other' {
  if (ref.startsWith('refs/heads/')) return 'branch';
  if (ref.startsWith('refs/tags/')) return 'tag';
  return 'other';
}
