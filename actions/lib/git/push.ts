import { mkdtemp, readFile, rm, writeFile, mkdir } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { redact } from '../redact.js';
import { type Git, GitError } from './git.js';
import { gitProgress } from './progress.js';

/** One ref to set on a remote, guarded by the value we believe it has. */
export interface LeasedUpdate {
  ref: string;
  /** The value the remote must still have; undefined: the ref must not exist yet. */
  expect: string | undefined;
  /** The new value; undefined deletes the ref. */
  value: string | undefined;
}

export type PushStatus = 'ok' | 'up-to-date' | 'rejected' | 'remote-rejected' | 'error';

export interface PushRefResult {
  ref: string;
  status: PushStatus;
  /** `[rejected] (stale info)`, `[remote rejected] (cannot lock ref …)`, `[new branch]`… */
  summary: string;
  /** The porcelain flag: ' ' fast-forward, '+' forced, '-' deleted, '*' new, '=' up to date, '!' failed. */
  flag: string;
}

/**
 * Parses `git push --porcelain`: `<flag>\t<from>:<to>\t<summary>` per ref, between `To <url>`
 * and `Done` (see git-push(1) "OUTPUT").
 */
export function parsePushPorcelain(stdout: string): PushRefResult[] {
  const results: PushRefResult[] = [];
  for (const line of stdout.split('\n')) {
    const match = /^([ +\-*=!])\t([^\t]*)\t(.*)$/.exec(line);
    if (!match) continue;
    const [, flag, spec, summary] = match;
    const ref = spec.slice(spec.lastIndexOf(':') + 1);
    let status: PushStatus = 'ok';
    if (flag === '=') status = 'up-to-date';
    else if (flag === '!')
      status = summary.startsWith('[remote rejected]')
        ? 'remote-rejected'
        : summary.startsWith('[rejected]')
          ? 'rejected'
          : 'error';
    results.push({ ref, status, summary: summary.trim(), flag });
  }
  return results;
}

/** True when a failed ref failed because the remote no longer had the expected value. */
export function isLostRace(result: PushRefResult): boolean {
  return (
    result.status !== 'ok' &&
    result.status !== 'up-to-date' &&
    /stale info|fetch first|non-fast-forward|cannot lock ref|but expected|failed to update ref|incorrect old value/i.test(
      result.summary,
    )
  );
}

export function leasedPushArgs(
  url: string,
  updates: readonly LeasedUpdate[],
  options: { atomic?: boolean } = {},
): string[] {
  const args = [
    '-c',
    'push.followTags=false',
    '-c',
    'push.gpgSign=false',
    'push',
    '--porcelain',
    '--no-verify',
  ];
  if (options.atomic) args.push('--atomic');
  for (const update of updates) args.push(`--force-with-lease=${update.ref}:${update.expect ?? ''}`);
  args.push(url);
  for (const update of updates) args.push(`${update.value ?? ''}:${update.ref}`);
  return args;
}

/**
 * Pushes every update with `--force-with-lease=<ref>:<expected>`: receive-pack applies a ref only
 * if it still holds the expected value (compare-and-swap under the ref lock), so a concurrent
 * writer is never overwritten. Returns one result per ref; throws GitError only when the push
 * failed as a whole (network, auth, local objects).
 */
export async function pushWithLeases(
  git: Git,
  repo: string,
  url: string,
  updates: readonly LeasedUpdate[],
  options: {
    atomic?: boolean;
    batchSize?: number;
    timeoutMs?: number;
    progress?: (line: string) => void;
  } = {},
): Promise<PushRefResult[]> {
  const results: PushRefResult[] = [];
  // Tens of thousands of refs would overflow one command line (2000 × ~200 bytes stays far below it); atomic pushes cannot be split.
  const size = options.atomic ? updates.length : (options.batchSize ?? 2000);
  await withRefLessView(repo, async (view) => {
    for (let start = 0; start < updates.length; start += size) {
      const batch = updates.slice(start, start + size);
      results.push(...(await pushBatch(git, view, url, batch, options)));
    }
  });
  return results;
}

async function pushBatch(
  git: Git,
  repo: string,
  url: string,
  batch: readonly LeasedUpdate[],
  options: { atomic?: boolean; timeoutMs?: number; progress?: (line: string) => void },
): Promise<PushRefResult[]> {
  const args = leasedPushArgs(url, batch, options);
  if (options.progress) args.splice(args.indexOf('--porcelain') + 1, 0, '--progress');
  const result = await git.run(args, {
    cwd: repo,
    okExitCodes: [1],
    timeoutMs: options.timeoutMs,
    ...(options.progress ? { onStderr: gitProgress(options.progress) } : {}),
  });
  const parsed = parsePushPorcelain(result.stdout);
  if (result.exitCode !== 0 && parsed.length === 0)
    throw new GitError(`git push to ${url} failed:\n${redact(result.stderr.trim(), git.secrets)}`, result);
  const byRef = new Map(parsed.map((r) => [r.ref, r]));
  return batch.map(
    (update) =>
      byRef.get(update.ref) ?? {
        ref: update.ref,
        status: 'error',
        summary: 'git push reported nothing for this ref',
        flag: '!',
      },
  );
}

/**
 * Runs `fn` on a bare repository that has no refs and borrows every object of the bare repository
 * `repo` (objects/info/alternates). git push matches each explicit refspec against every local
 * ref: 500 refspecs pushed from a repository of 500 refs cost about 0.4 s of CPU before a byte is
 * sent, and nothing from a repository without refs. The refspecs name objects, so the push is the
 * same. The view is made of files (no git process) with `repo`'s own config, and removed after.
 */
async function withRefLessView<T>(repo: string, fn: (view: string) => Promise<T>): Promise<T> {
  const objects = path.resolve(repo, 'objects');
  const config = await readFile(path.join(repo, 'config'), 'utf8');
  const view = await mkdtemp(path.join(os.tmpdir(), 'taco-push-'));
  try {
    await mkdir(path.join(view, 'refs'));
    await mkdir(path.join(view, 'objects', 'info'), { recursive: true });
    await writeFile(path.join(view, 'objects', 'info', 'alternates'), `${objects}\n`);
    await writeFile(path.join(view, 'HEAD'), 'ref: refs/heads/main\n');
    await writeFile(path.join(view, 'config'), config);
    return await fn(view);
  } finally {
    await rm(view, { recursive: true, force: true });
  }
}
