import { appendFile, mkdir, mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { existsSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { httpTokenEnv, NON_INTERACTIVE_ENV } from '../git/auth.js';
import { runChecked, runProcess } from '../process.js';
import type { HistoryEntry } from './entry.js';
import { appendText, parseHistory } from './jsonl.js';
import { describeHistoryTarget, type HistoryTarget } from './target.js';

export interface HistoryStoreOptions {
  /** Environment for git (PATH, HOME…); credentials are added from `token`, never from argv. */
  env?: Readonly<Record<string, string | undefined>>;
  /** HTTPS token for a git ledger. */
  token?: string;
  tempDir?: string;
  signal?: AbortSignal;
  log?: (line: string) => void;
  /** Attempts when a concurrent writer pushed first (default 5). */
  attempts?: number;
}

const AUTHOR = { name: 'taco-ci', email: 'taco-ci@users.noreply.invalid' };

/** Every entry of the ledger, oldest first ([] when it does not exist yet). */
export async function readHistory(
  target: HistoryTarget,
  options: HistoryStoreOptions = {},
): Promise<HistoryEntry[]> {
  if (target.kind === 'file') {
    if (!existsSync(target.path)) return [];
    return parseHistory(await readFile(target.path, 'utf8'), target.path);
  }
  return withCheckout(target, options, async (checkout) => {
    if (!checkout.exists) return [];
    const file = path.join(checkout.dir, target.path);
    if (!existsSync(file)) return [];
    return parseHistory(await readFile(file, 'utf8'), `${target.url}#${target.branch}:${target.path}`);
  });
}

/**
 * Appends one entry. A file gets one O_APPEND write; a git ledger gets a commit on its branch,
 * pushed without force: when another writer pushed first, the branch is fetched again and the line
 * appended to the new tip, so concurrent writers never lose each other's entries.
 */
export async function appendHistory(
  target: HistoryTarget,
  entry: HistoryEntry,
  options: HistoryStoreOptions = {},
): Promise<void> {
  if (target.kind === 'file') {
    await mkdir(path.dirname(target.path), { recursive: true });
    const existing = existsSync(target.path) ? await readFile(target.path, 'utf8') : '';
    if (existing) parseHistory(existing, target.path); // never append to something that is not a ledger
    await appendFile(target.path, appendText(existing, entry));
    return;
  }
  const attempts = options.attempts ?? 5;
  for (let attempt = 1; ; attempt++) {
    const pushed = await withCheckout(target, options, async (checkout) => {
      const file = path.join(checkout.dir, target.path);
      const existing = existsSync(file) ? await readFile(file, 'utf8') : '';
      if (existing) parseHistory(existing, `${target.url}#${target.branch}:${target.path}`);
      await mkdir(path.dirname(file), { recursive: true });
      await writeFile(file, existing + appendText(existing, entry));
      await checkout.git(['add', '--', target.path]);
      const subject = `history: ${entry.kind} ${entry.candidate}${entry.version ? ` → ${entry.version}` : ''} (${entry.status})`;
      await checkout.git(['commit', '-q', '-m', subject]);
      const push = await checkout.gitResult(['push', '-q', target.url, `HEAD:refs/heads/${target.branch}`]);
      if (push.exitCode === 0) return true;
      if (/\[rejected\]|non-fast-forward|fetch first|failed to update ref|cannot lock ref/i.test(push.stderr))
        return false;
      throw new Error(
        `Could not push the history entry to ${describeHistoryTarget(target)}: ${push.stderr.trim().split('\n').slice(-3).join(' ')}`,
      );
    });
    if (pushed) return;
    if (attempt >= attempts)
      throw new Error(
        `Could not append to ${describeHistoryTarget(target)}: other writers kept pushing first (${attempts} attempts)`,
      );
    options.log?.(`history: ${target.branch} moved while appending; trying again (${attempt}/${attempts})`);
  }
}

interface Checkout {
  dir: string;
  /** Whether the branch exists in the remote. */
  exists: boolean;
  git(args: string[]): Promise<void>;
  gitResult(args: string[]): Promise<{ exitCode: number | null; stderr: string }>;
}

async function withCheckout<T>(
  target: Extract<HistoryTarget, { kind: 'git' }>,
  options: HistoryStoreOptions,
  fn: (c: Checkout) => Promise<T>,
): Promise<T> {
  const dir = await mkdtemp(path.join(options.tempDir ?? os.tmpdir(), 'history-'));
  const auth =
    options.token && /^https?:/.test(target.url)
      ? httpTokenEnv(options.token, { scopeUrl: target.url, baseEnv: options.env })
      : undefined;
  const env = {
    ...options.env,
    ...NON_INTERACTIVE_ENV,
    ...auth?.env,
    GIT_AUTHOR_NAME: AUTHOR.name,
    GIT_AUTHOR_EMAIL: AUTHOR.email,
    GIT_COMMITTER_NAME: AUTHOR.name,
    GIT_COMMITTER_EMAIL: AUTHOR.email,
  };
  const secrets = auth?.secrets ?? [];
  const gitResult = (args: string[]) =>
    runProcess('git', ['-C', dir, ...args], { env, secrets, signal: options.signal, timeoutMs: 120_000 });
  const git = async (args: string[]) => {
    await runChecked('git', ['-C', dir, ...args], {
      env,
      secrets,
      signal: options.signal,
      timeoutMs: 120_000,
    });
  };
  try {
    await git(['init', '-q']);
    const fetched = await gitResult(['fetch', '-q', '--depth=1', target.url, `refs/heads/${target.branch}`]);
    const exists = fetched.exitCode === 0;
    if (!exists && !/couldn't find remote ref|could not find remote ref/i.test(fetched.stderr)) {
      throw new Error(
        `Could not read ${describeHistoryTarget(target)}: ${fetched.stderr.trim().split('\n').slice(-2).join(' ')}`,
      );
    }
    if (exists) await git(['checkout', '-q', 'FETCH_HEAD']);
    return await fn({ dir, exists, git, gitResult });
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
}
