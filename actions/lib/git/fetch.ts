import type { Git } from './git.js';
import { gitProgress } from './progress.js';

/**
 * Fetches exactly the given refs of `url` into the same names in `repo` (forced: the local copy
 * follows the remote), no tag auto-following, no FETCH_HEAD. Refspecs go through stdin, so
 * thousands of refs never hit the command-line limit. The local refs serve as the "haves" of the
 * negotiation, which makes repeated fetches incremental.
 */
export async function fetchRefs(
  git: Git,
  repo: string,
  url: string,
  refs: readonly { from: string; to: string }[],
  options: { timeoutMs?: number; progress?: (line: string) => void } = {},
): Promise<void> {
  if (refs.length === 0) return;
  const refspecs = refs.map(({ from, to }) => `+${from}:${to}`).join('\n') + '\n';
  await git.run(
    [
      'fetch',
      options.progress ? '--progress' : '--quiet',
      '--no-tags',
      '--no-write-fetch-head',
      '--no-recurse-submodules',
      '--no-auto-maintenance',
      '--stdin',
      url,
    ],
    {
      cwd: repo,
      input: refspecs,
      timeoutMs: options.timeoutMs,
      ...(options.progress ? { onStderr: gitProgress(options.progress) } : {}),
    },
  );
}
