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
  for (let start = 0; start < updates.length; start += size) {
    const batch = updates.slice(start, start + size);
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
    for (const update of batch) {
      results.push(
        byRef.get(update.ref) ?? {
          ref: update.ref,
          status: 'error',
          summary: 'git push reported nothing for this ref',
          flag: '!',
        },
      );
    }
  }
  return results;
}
