import { appendFile, mkdir, mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { existsSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { errorMessage, ExternalError } from '../errors.js';
import { type Git, GitError, TACO_CI_IDENTITY } from '../git/git.js';
import { redact } from '../redact.js';
import type { HistoryEntry } from './entry.js';
import { appendText, parseHistory } from './jsonl.js';
import { describeHistoryTarget, type HistoryTarget } from './target.js';

export interface HistoryStoreOptions {
  /** The git runner for a git ledger (environment, signal, log; its token goes to the ledger's URL). */
  git?: Git;
  tempDir?: string;
  log?: (line: string) => void;
  /** Attempts when a concurrent writer pushed first (default 5). */
  attempts?: number;
}

/** Every entry of the ledger, oldest first ([] when it does not exist yet). */
export async function readHistory(
  target: HistoryTarget,
  options: HistoryStoreOptions = {},
): Promise<HistoryEntry[]> {
  if (target.kind === 'file') {
    if (!existsSync(target.path)) return [];
    return parseHistory(await ledgerFile(target.path, () => readFile(target.path, 'utf8')), target.path);
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
    const file = target.path;
    await ledgerFile(file, () => mkdir(path.dirname(file), { recursive: true }));
    const existing = existsSync(file) ? await ledgerFile(file, () => readFile(file, 'utf8')) : '';
    if (existing) parseHistory(existing, file); // never append to something that is not a ledger
    await ledgerFile(file, () => appendFile(file, appendText(existing, entry)));
    return;
  }
  const attempts = options.attempts ?? 5;
  for (let attempt = 1; ; attempt++) {
    const pushed = await withCheckout(target, options, (checkout) => commitAndPush(checkout, target, entry));
    if (pushed) return;
    if (attempt >= attempts)
      throw new ExternalError(
        'git',
        `Could not append to ${describeHistoryTarget(target)}: other writers kept pushing first (${attempts} attempts)`,
      );
    options.log?.(`history: ${target.branch} moved while appending; trying again (${attempt}/${attempts})`);
  }
}

/** git's words (C locale) for a push that lost the race to another writer. */
const LOST_RACE = /\[rejected\]|non-fast-forward|fetch first|failed to update ref|cannot lock ref/i;

/** Commits the entry on the checked-out tip and pushes it; false when another writer pushed first. */
async function commitAndPush(checkout: Checkout, target: GitTarget, entry: HistoryEntry): Promise<boolean> {
  const file = path.join(checkout.dir, target.path);
  const existing = existsSync(file) ? await readFile(file, 'utf8') : '';
  if (existing) parseHistory(existing, `${target.url}#${target.branch}:${target.path}`);
  await mkdir(path.dirname(file), { recursive: true });
  await writeFile(file, existing + appendText(existing, entry));
  const git = checkout.git;
  await git.run(['add', '--', target.path], { cwd: checkout.dir });
  const subject = `history: ${entry.kind} ${entry.candidate}${entry.version ? ` → ${entry.version}` : ''} (${entry.status})`;
  await git.run(['commit', '-q', '-m', subject], { cwd: checkout.dir });
  try {
    await git.run(['push', '-q', '--', target.url, `HEAD:refs/heads/${target.branch}`], {
      cwd: checkout.dir,
      timeoutMs: GIT_TIMEOUT_MS,
    });
    return true;
  } catch (err) {
    if (err instanceof GitError && LOST_RACE.test(err.result.stderr)) return false;
    throw new ExternalError(
      'git',
      `Could not push the history entry to ${describeHistoryTarget(target)}: ${gitFailure(err, git)}`,
      { cause: err },
    );
  }
}

/** The ledger file could not be read or written (permissions, a directory in its place, a full disk). */
async function ledgerFile<T>(file: string, io: () => Promise<T>): Promise<T> {
  try {
    return await io();
  } catch (err) {
    throw new ExternalError('ledger', `The artifact ledger ${file} could not be used: ${errorMessage(err)}`, {
      cause: err,
    });
  }
}

type GitTarget = Extract<HistoryTarget, { kind: 'git' }>;

interface Checkout {
  dir: string;
  /** Whether the branch exists in the remote. */
  exists: boolean;
  /** The runner for this checkout and the ledger's remote. */
  git: Git;
}

const GIT_TIMEOUT_MS = 120_000;

/** The last lines of git's complaint (redacted), or the message of anything else. */
function gitFailure(err: unknown, git: Git): string {
  if (!(err instanceof GitError)) return errorMessage(err);
  return redact(err.result.stderr.trim().split('\n').slice(-3).join(' '), git.secrets);
}

async function withCheckout<T>(
  target: GitTarget,
  options: HistoryStoreOptions,
  fn: (c: Checkout) => Promise<T>,
): Promise<T> {
  if (!options.git) throw new Error('A git ledger needs a git runner (HistoryStoreOptions.git)');
  const git = options.git.forRemote(target.url).forScratch().withEnv(TACO_CI_IDENTITY);
  const dir = await mkdtemp(path.join(options.tempDir ?? os.tmpdir(), 'history-'));
  try {
    await git.run(['init', '-q'], { cwd: dir });
    const exists = await fetchTip(git, dir, target);
    if (exists) await git.run(['checkout', '-q', 'FETCH_HEAD'], { cwd: dir });
    return await fn({ dir, exists, git });
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
}

/** Fetches the branch's tip into FETCH_HEAD; false when the branch does not exist yet. */
async function fetchTip(git: Git, dir: string, target: GitTarget): Promise<boolean> {
  const ref = `refs/heads/${target.branch}`;
  try {
    await git.run(['fetch', '-q', '--depth=1', '--', target.url, ref], {
      cwd: dir,
      timeoutMs: GIT_TIMEOUT_MS,
    });
    return true;
  } catch (err) {
    if (err instanceof GitError && /could(?:n't| not) find remote ref/i.test(err.result.stderr)) return false;
    throw new ExternalError(
      'git',
      `Could not read ${describeHistoryTarget(target)}: ${gitFailure(err, git)}`,
      {
        cause: err,
      },
    );
  }
}
