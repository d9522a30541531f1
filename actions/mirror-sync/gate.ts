import { mkdtemp, rm } from 'node:fs/promises';
import path from 'node:path';
import type { Git } from '../lib/git/git.js';
import { withWorktree } from '../lib/git/worktree.js';
import { runProcess, tail } from '../lib/process.js';
import { redact } from '../lib/redact.js';

export type GateStatus = 'passed' | 'failed' | 'timed-out' | 'cancelled';

export interface GateOutcome {
  status: GateStatus;
  commit: string;
  exitCode: number | null;
  durationMs: number;
  /** The last lines of the command's output (redacted). */
  tail: string;
}

export interface GateRun {
  command: string;
  /** The bare cache holding the commit. */
  repo: string;
  commit: string;
  refs: string[];
  name: string;
  upstream: string;
  timeoutMs: number;
  env: Readonly<Record<string, string | undefined>>;
  /** More variable names to keep from the gate (where the profile's secrets come from). */
  hiddenEnv?: readonly string[];
  tempDir: string;
  secrets: readonly string[];
  signal?: AbortSignal;
  onOutput?: (text: string) => void;
}

/**
 * Variables a gate never sees: the gate runs code from upstream, which must not read the job's
 * inputs (tokens), the runner's own tokens or state.
 */
const HIDDEN =
  /^(INPUT_|STATE_|ACTIONS_RUNTIME_|ACTIONS_ID_TOKEN_|ACTIONS_CACHE_|ACTIONS_RESULTS_|GITHUB_TOKEN$|GIT_CONFIG_|GIT_SSH_COMMAND$|SSH_AUTH_SOCK$)/;

export function gateEnvironment(
  run: Pick<GateRun, 'env' | 'hiddenEnv' | 'commit' | 'refs' | 'name' | 'upstream'>,
): Record<string, string | undefined> {
  const env: Record<string, string | undefined> = {};
  for (const [key, value] of Object.entries(run.env)) {
    if (!HIDDEN.test(key) && !run.hiddenEnv?.includes(key)) env[key] = value;
  }
  return {
    ...env,
    GIT_TERMINAL_PROMPT: '0',
    MIRROR_SYNC_NAME: run.name,
    MIRROR_SYNC_UPSTREAM: run.upstream,
    MIRROR_SYNC_COMMIT: run.commit,
    MIRROR_SYNC_REFS: run.refs.join(' '),
  };
}

/** Checks the commit out in a throw-away worktree and runs the gate command there (bash -c). */
export async function runGate(git: Git, run: GateRun): Promise<GateOutcome> {
  const parent = await mkdtemp(path.join(run.tempDir, 'mirror-gate-'));
  try {
    return await withWorktree(git, run.repo, run.commit, path.join(parent, 'src'), async (dir) => {
      const result = await runProcess('bash', ['-c', run.command], {
        cwd: dir,
        env: gateEnvironment(run),
        timeoutMs: run.timeoutMs,
        signal: run.signal,
        secrets: run.secrets,
        onStdout: run.onOutput,
        onStderr: run.onOutput,
      });
      const status: GateStatus = result.timedOut
        ? 'timed-out'
        : result.cancelled
          ? 'cancelled'
          : result.exitCode === 0
            ? 'passed'
            : 'failed';
      return {
        status,
        commit: run.commit,
        exitCode: result.exitCode,
        durationMs: result.durationMs,
        tail: tail(redact(`${result.stdout}${result.stderr ? `\n${result.stderr}` : ''}`, run.secrets), 20),
      };
    });
  } finally {
    await rm(parent, { recursive: true, force: true });
  }
}
