import { rm } from 'node:fs/promises';
import type { Git } from './git.js';

/**
 * Checks `commit` out (detached) into `dir` as a worktree of `repo` — a bare repository works —
 * runs fn there and removes the worktree whatever happened.
 */
export async function withWorktree<T>(
  git: Git,
  repo: string,
  commit: string,
  dir: string,
  fn: (dir: string) => Promise<T>,
): Promise<T> {
  await git.run(['worktree', 'add', '--detach', '--force', '--quiet', dir, commit], { cwd: repo });
  try {
    return await fn(dir);
  } finally {
    await git
      .run(['worktree', 'remove', '--force', '--force', dir], { cwd: repo, okExitCodes: [128] })
      .catch(() => undefined);
    await rm(dir, { recursive: true, force: true });
    await git.run(['worktree', 'prune'], { cwd: repo }).catch(() => undefined);
  }
}
