import { mkdir, open, readdir, readFile, rename, rm, stat, writeFile } from 'node:fs/promises';
import { existsSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { type Git, GitError } from './git.js';
import { gitProgress } from './progress.js';

/**
 * A persistent bare repository kept between jobs on a self-hosted runner, used by one job at a
 * time (a lock file beside it), checked and rebuilt when git finds it broken.
 */
export interface RepoCache {
  /** The bare repository. */
  dir: string;
  /** What was done to make it usable: '' (nothing), or why it was repaired or rebuilt. */
  recovery: string[];
  /**
   * Looks at the repository after a git command on it failed: removes stale git lock files, runs
   * `git fsck --connectivity-only` and rebuilds it empty when that fails. Returns what it did,
   * or undefined when the repository is healthy (the failure has another cause).
   */
  diagnose(failure: unknown): Promise<string | undefined>;
  /** Replaces the repository by an empty one. */
  rebuild(reason: string): Promise<void>;
  /**
   * Keeps it fast over months of small fetches: each fetch keeps its pack (no loose objects), and
   * once packs pile up `git gc --auto` consolidates them. Costs no process until then.
   */
  maintain(): Promise<void>;
  /**
   * Writes the repository's config file and `info/attributes` as this module made them and
   * removes its hooks: whatever a gate (code from upstream) wrote there is gone before the next
   * git command that carries a credential.
   */
  resetConfig(): Promise<void>;
  /** True when the repository holds no ref (new, or just rebuilt): a file check, no git process. */
  isEmpty(): Promise<boolean>;
  /**
   * Fills an empty cache with `git clone --bare` of `url` (its branches and tags): a clone proves
   * its pack complete while indexing it, where a fetch into the same empty repository walks the
   * whole history again for its connectivity check. `git` carries the remote's credentials.
   */
  seedByClone(git: Git, url: string, options?: { progress?: (line: string) => void }): Promise<void>;
  /** Releases the lock. */
  release(): Promise<void>;
}

export interface OpenCacheOptions {
  /** How long to wait for another job holding the lock (default 10 minutes). */
  waitMs?: number;
  /** A lock of another host older than this is considered abandoned (default 6 hours). */
  staleMs?: number;
  signal?: AbortSignal;
  log?: (message: string) => void;
}

interface LockOwner {
  pid: number;
  host: string;
  started: string;
}

export class CacheLockedError extends Error {
  override readonly name = 'CacheLockedError';
}

export async function openRepoCache(
  git: Git,
  dir: string,
  options: OpenCacheOptions = {},
): Promise<RepoCache> {
  const lockFile = `${dir}.lock`;
  await mkdir(path.dirname(dir), { recursive: true });
  await acquireLock(lockFile, options);
  const recovery: string[] = [];
  const log = options.log ?? (() => undefined);

  const rebuild = async (reason: string) => {
    log(`Rebuilding the cache ${dir}: ${reason}`);
    recovery.push(`rebuilt: ${reason}`);
    await rm(dir, { recursive: true, force: true });
    await initBare(git, dir);
  };

  try {
    if (!existsSync(dir)) {
      await initBare(git, dir);
    } else {
      // A file check, not a git command: a no-op sync must stay cheap. Deeper damage shows up when
      // git works on the repository, and diagnose() finds it then.
      if (!['HEAD', 'objects', 'refs'].every((entry) => existsSync(path.join(dir, entry)))) {
        await rebuild('not a bare git repository');
      } else {
        // A gate of an earlier run that died before its reset may have written the config.
        await writeOwnConfig(dir);
      }
    }
  } catch (err) {
    await rm(lockFile, { force: true });
    throw err;
  }

  return {
    dir,
    recovery,
    rebuild,
    async diagnose(failure: unknown) {
      const locks = await staleGitLocks(dir);
      if (locks.length > 0) {
        // We hold the cache lock: no other git process works here, so these are left-overs of a killed one.
        for (const lock of locks) await rm(lock, { force: true });
        recovery.push(`removed stale git lock files: ${locks.map((l) => path.relative(dir, l)).join(', ')}`);
        log(`Removed stale lock files in ${dir}: ${locks.map((l) => path.relative(dir, l)).join(', ')}`);
      }
      const fsck = await git.run(['fsck', '--connectivity-only', '--no-progress', '--no-dangling'], {
        cwd: dir,
        okExitCodes: ANY_FAILURE, // a bit mask of problems: any non-zero value means broken
      });
      if (fsck.exitCode !== 0) {
        const why = (fsck.stderr || fsck.stdout).trim().split('\n').slice(0, 3).join('; ');
        await rebuild(
          `git fsck --connectivity-only failed (${why || `exit ${fsck.exitCode}`}) after: ${firstLine(failure)}`,
        );
        return recovery.at(-1);
      }
      return locks.length > 0 ? recovery.at(-1) : undefined;
    },
    async maintain() {
      const packs = (await readdir(path.join(dir, 'objects', 'pack')).catch(() => [])).filter((f) =>
        f.endsWith('.pack'),
      );
      if (packs.length >= PACK_LIMIT) await git.run(['gc', '--auto', '--quiet'], { cwd: dir });
    },
    resetConfig: () => writeOwnConfig(dir),
    isEmpty: async () =>
      !existsSync(path.join(dir, 'packed-refs')) && !(await hasRefFile(path.join(dir, 'refs'))),
    seedByClone: (remoteGit, url, seedOptions = {}) => replaceByClone(remoteGit, url, dir, seedOptions),
    async release() {
      await rm(lockFile, { force: true });
    },
  };
}

const PACK_LIMIT = 20;
const ANY_FAILURE = Array.from({ length: 255 }, (_, i) => i + 1);

async function initBare(git: Git, dir: string): Promise<void> {
  await git.run(['init', '--quiet', '--bare', dir]);
  await writeOwnConfig(dir);
}

/**
 * The cache's whole config, written as a file (one write instead of a `git config` process per
 * setting, and nothing else survives):
 * - a detached automatic gc would outlive the job;
 * - fetches keep their packs (no loose objects) and gc consolidates them past PACK_LIMIT (gc
 *   also writes the commit-graph; writing it after every fetch cost a first sync of 20,000
 *   commits a third of a second for walks that only cover the few new commits).
 * `info/attributes` outranks the tree's own .gitattributes: `git archive` then exports exactly
 * the tree a checkout would have (no export-ignore, no export-subst).
 */
async function writeOwnConfig(dir: string): Promise<void> {
  const config = [
    '[core]',
    '\trepositoryformatversion = 0',
    '\tfilemode = true',
    '\tbare = true',
    '[gc]',
    '\tautoDetach = false',
    `\tautoPackLimit = ${PACK_LIMIT}`,
    '[fetch]',
    '\tunpackLimit = 1',
    '',
  ].join('\n');
  await writeFile(path.join(dir, 'config'), config);
  await mkdir(path.join(dir, 'info'), { recursive: true });
  await writeFile(path.join(dir, 'info', 'attributes'), '* -export-ignore -export-subst\n');
  await rm(path.join(dir, 'hooks'), { recursive: true, force: true });
}

/** Clones `url` beside `dir` (clone wants a new directory), then puts it in its place under our lock. */
async function replaceByClone(
  git: Git,
  url: string,
  dir: string,
  options: { progress?: (line: string) => void },
): Promise<void> {
  const seed = `${dir}.seed-${process.pid}`;
  await rm(seed, { recursive: true, force: true });
  try {
    await git.run(
      ['clone', '--bare', options.progress ? '--progress' : '--quiet', '--no-local', '--', url, seed],
      options.progress ? { onStderr: gitProgress(options.progress) } : {},
    );
    await writeOwnConfig(seed);
    await rm(dir, { recursive: true, force: true });
    await rename(seed, dir);
  } finally {
    await rm(seed, { recursive: true, force: true });
  }
}

async function hasRefFile(dir: string): Promise<boolean> {
  for (const entry of await readdir(dir, { withFileTypes: true }).catch(() => [])) {
    if (entry.isFile()) return true;
    if (entry.isDirectory() && (await hasRefFile(path.join(dir, entry.name)))) return true;
  }
  return false;
}

/** `*.lock` files git leaves behind when killed mid-update (refs, packed-refs, config, shallow…). */
async function staleGitLocks(dir: string): Promise<string[]> {
  const found: string[] = [];
  for (const name of [
    'packed-refs.lock',
    'config.lock',
    'shallow.lock',
    'HEAD.lock',
    'index.lock',
    'FETCH_HEAD.lock',
  ]) {
    if (existsSync(path.join(dir, name))) found.push(path.join(dir, name));
  }
  const walk = async (sub: string) => {
    for (const entry of await readdir(sub, { withFileTypes: true }).catch(() => [])) {
      const full = path.join(sub, entry.name);
      if (entry.isDirectory()) await walk(full);
      else if (entry.name.endsWith('.lock')) found.push(full);
    }
  };
  await walk(path.join(dir, 'refs'));
  await walk(path.join(dir, 'objects', 'info'));
  return found;
}

function firstLine(err: unknown): string {
  const text =
    err instanceof GitError
      ? `${err.result.command}: ${err.result.stderr}`
      : err instanceof Error
        ? err.message
        : String(err);
  return (
    text
      .trim()
      .split('\n')
      .find((l) => /fatal|error/.test(l)) ?? text.trim().split('\n')[0]
  );
}

async function acquireLock(lockFile: string, options: OpenCacheOptions): Promise<void> {
  const deadline = Date.now() + (options.waitMs ?? 10 * 60_000);
  const staleMs = options.staleMs ?? 6 * 3_600_000;
  let announced = false;
  for (;;) {
    try {
      const handle = await open(lockFile, 'wx', 0o644);
      const owner: LockOwner = { pid: process.pid, host: os.hostname(), started: new Date().toISOString() };
      await handle.writeFile(JSON.stringify(owner));
      await handle.close();
      return;
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code !== 'EEXIST') throw err;
    }
    const owner = await readOwner(lockFile);
    const age = await lockAge(lockFile);
    // An unreadable owner is a lock being written right now, or the debris of a crash.
    if (owner === undefined ? age > 5_000 : abandoned(owner, staleMs, age)) {
      options.log?.(
        `Removing the abandoned cache lock ${lockFile}${owner ? ` (pid ${owner.pid} on ${owner.host})` : ''}`,
      );
      await rm(lockFile, { force: true });
      continue;
    }
    const holder = owner ? `pid ${owner.pid} on ${owner.host} since ${owner.started}` : 'another job';
    if (Date.now() >= deadline)
      throw new CacheLockedError(`The cache is in use: ${lockFile} is held by ${holder}`);
    if (!announced) options.log?.(`Waiting for ${holder} to release ${lockFile}`);
    announced = true;
    if (options.signal?.aborted) throw new CacheLockedError(`Cancelled while waiting for ${lockFile}`);
    await new Promise((resolve) => setTimeout(resolve, 500));
  }
}

async function readOwner(lockFile: string): Promise<LockOwner | undefined> {
  try {
    const owner = JSON.parse(await readFile(lockFile, 'utf8')) as LockOwner;
    return typeof owner.pid === 'number' && typeof owner.host === 'string' ? owner : undefined;
  } catch {
    return undefined;
  }
}

async function lockAge(lockFile: string): Promise<number> {
  try {
    return Date.now() - (await stat(lockFile)).mtimeMs;
  } catch {
    return 0;
  }
}

function abandoned(owner: LockOwner, staleMs: number, ageMs: number): boolean {
  if (owner.host !== os.hostname()) return ageMs > staleMs;
  if (owner.pid === process.pid) return false;
  try {
    process.kill(owner.pid, 0);
    return false;
  } catch (err) {
    return (err as NodeJS.ErrnoException).code === 'ESRCH';
  }
}
