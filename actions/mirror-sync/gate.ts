import { randomBytes } from 'node:crypto';
import { rm } from 'node:fs/promises';
import type { Git } from '../lib/git/git.js';
import { runProcess, tail } from '../lib/process.js';
import { redact } from '../lib/redact.js';
import { exportForGate, gateCommand, gateEnvironment, type GateSandbox } from './gate-sandbox.js';

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
  sandbox: GateSandbox;
  /** The job's environment: the gate gets only the allowlisted names from it. */
  env: Readonly<Record<string, string | undefined>>;
  /** More names the gate gets (`gate-env`). */
  allowEnv: readonly string[];
  tempDir: string;
  secrets: readonly string[];
  signal?: AbortSignal;
  onOutput?: (text: string) => void;
}

/**
 * Exports the commit's tree and runs the gate command there (`bash -c`) in its sandbox, with
 * the allowlist environment. The caller has taken every credential file away before.
 */
export async function runGate(git: Git, run: GateRun): Promise<GateOutcome> {
  const dirs = await exportForGate(git, run.repo, run.commit, run.tempDir, run.sandbox);
  const containerName = `mirror-gate-${randomBytes(6).toString('hex')}`;
  try {
    const env = gateEnvironment({
      env: run.env,
      allow: run.allowEnv,
      sandbox: run.sandbox.kind,
      home: dirs.home,
      tmp: dirs.tmp,
      facts: {
        MIRROR_SYNC_NAME: run.name,
        MIRROR_SYNC_UPSTREAM: run.upstream,
        MIRROR_SYNC_COMMIT: run.commit,
        MIRROR_SYNC_REFS: run.refs.join(' '),
      },
    });
    const start = gateCommand(run.sandbox, run.command, dirs, env, run.env, containerName);
    const result = await runProcess(start.file, start.args, {
      cwd: dirs.src,
      env: start.env,
      uid: start.uid,
      gid: start.gid,
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
  } finally {
    // A killed engine client leaves its container running.
    if (run.sandbox.kind === 'container')
      await runProcess(run.sandbox.engine, ['rm', '--force', containerName], { env: run.env }).catch(
        () => undefined,
      );
    await rm(dirs.root, { recursive: true, force: true });
  }
}
