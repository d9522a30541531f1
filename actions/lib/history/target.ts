import path from 'node:path';
import { UserError } from '../errors.js';
import { checkGitRef, checkUrl } from '../git/url.js';

/** Where the ledger lives: a JSON-lines file, or such a file on a branch of a git repository. */
export type HistoryTarget =
  { kind: 'file'; path: string } | { kind: 'git'; url: string; branch: string; path: string };

/**
 * Reads `history` settings: a file path (relative to `baseDir`), or
 * `<git-url>#<branch>:<path-in-repo>` (e.g. `https://git.example/taco/ledger.git#main:promotions.jsonl`).
 */
export function parseHistoryTarget(text: string, what: string, baseDir: string): HistoryTarget {
  const value = text.trim();
  const hash = value.lastIndexOf('#');
  const looksLikeGit = /^(?:[a-z+]+:\/\/|[\w.-]+@[\w.-]+:)/.test(value) || /\.git(?:#|$)/.test(value);
  if (looksLikeGit) {
    const match = hash === -1 ? null : /^([^:]+):(.+)$/.exec(value.slice(hash + 1));
    if (!match || hash === 0) {
      throw new UserError(
        `${what}: a git ledger is written <git-url>#<branch>:<path-in-repo> (e.g. https://git.example/ledger.git#main:history.jsonl), got ${JSON.stringify(text)}`,
      );
    }
    const file = path.posix.normalize(match[2]);
    if (file.startsWith('..') || path.posix.isAbsolute(file)) {
      throw new UserError(
        `${what}: the ledger path ${JSON.stringify(match[2])} must stay inside the repository`,
      );
    }
    const url = checkUrl(value.slice(0, hash), `${what}: the ledger's repository`);
    return { kind: 'git', url, branch: checkGitRef(match[1], `${what}: the ledger's branch`), path: file };
  }
  if (value === '') throw new UserError(`${what}: expected a file path or <git-url>#<branch>:<path>`);
  return { kind: 'file', path: path.resolve(baseDir, value) };
}

export function describeHistoryTarget(target: HistoryTarget): string {
  return target.kind === 'file' ? target.path : `${target.url} (branch ${target.branch}, ${target.path})`;
}
