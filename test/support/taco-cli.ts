import { spawnSync } from 'node:child_process';
import path from 'node:path';
import { repoRoot } from '../harness/run-action.js';

/** Runs `taco-ci` as a user does (bin/taco-ci.js on the source) and returns its exit code and output. */
export function taco(args: string[], options: { cwd?: string; env?: Record<string, string> } = {}) {
  const result = spawnSync(process.execPath, [path.join(repoRoot, 'bin', 'taco-ci.js'), ...args], {
    cwd: options.cwd ?? repoRoot,
    encoding: 'utf8',
    env: { ...process.env, ...options.env },
    timeout: 120_000,
  });
  return { code: result.status, stdout: result.stdout, stderr: result.stderr };
}
