import { existsSync, rmSync } from 'node:fs';
import path from 'node:path';
import { JobFailure, UserError } from '../lib/errors.js';
import { describeFailure, type ProcessResult, runProcess } from '../lib/process.js';
import { LiveProgress } from './live-progress.js';
import { nodeCrypto } from '../lib/lazy-builtins.js';

/** What `tempest` needs from the caller to run: environment, logging, cancellation. */
export interface TempestEnv {
  env: Readonly<Record<string, string | undefined>>;
  signal?: AbortSignal;
  secrets?: readonly string[];
  log: (line: string) => void;
  /** The tempest executable (default: `tempest` on PATH). */
  command?: string;
  /** Where commands without a workspace run (`tempest init` leaves its tempest.log there). */
  scratchDir: string;
}

export interface Selection {
  regex?: string;
  smoke?: boolean;
  includeList?: string;
  excludeList?: string;
}

function tempest(options: TempestEnv): string {
  return options.command ?? 'tempest';
}

async function call(
  options: TempestEnv,
  args: string[],
  extra: { cwd?: string; timeoutMs?: number } = {},
): Promise<ProcessResult> {
  try {
    return await runProcess(tempest(options), args, {
      env: options.env,
      signal: options.signal,
      secrets: options.secrets,
      log: options.log,
      ...extra,
    });
  } catch (err) {
    if (/Command not found/.test((err as Error).message)) {
      throw new UserError(
        `${tempest(options)} was not found on PATH: install Tempest on the runner (pip install tempest), or use mode: report on an existing stream`,
      );
    }
    throw err;
  }
}

/**
 * A tempest workspace: `dir` itself when it has a .stestr.conf, else made with `tempest init`
 * under a name of its own (tempest registers each workspace by name in ~/.tempest/workspace.yaml
 * and refuses a name that is taken, so a fixed name fails every run after the first on a
 * persistent runner). `release` removes the registration this run made, whatever happened.
 */
export class RunWorkspace {
  private registered: string | undefined;

  constructor(
    readonly dir: string,
    private readonly options: TempestEnv,
  ) {}

  async ensure(): Promise<{ created: boolean }> {
    if (existsSync(path.join(this.dir, '.stestr.conf'))) return { created: false };
    const name = `taco-${nodeCrypto().randomBytes(6).toString('hex')}`;
    const result = await call(this.options, ['init', '--name', name, this.dir], {
      cwd: this.options.scratchDir,
    });
    if (result.exitCode === 0) this.registered = name;
    if (result.exitCode !== 0 || !existsSync(path.join(this.dir, '.stestr.conf'))) {
      throw new JobFailure(
        `Could not create the tempest workspace: ${describeFailure(result, this.options.secrets)}`,
      );
    }
    return { created: true };
  }

  /** Removes the workspace's registration (not its folder); a failure to do so is only a warning. */
  async release(warn: (message: string) => void): Promise<void> {
    const name = this.registered;
    if (!name) return;
    this.registered = undefined;
    // Not cancellable: a cancelled run must still leave no registration behind.
    const result = await call(
      { ...this.options, signal: undefined },
      ['workspace', 'remove', '--name', name],
      {
        cwd: this.options.scratchDir,
        timeoutMs: 60_000,
      },
    );
    if (result.exitCode !== 0)
      warn(
        `Could not remove tempest workspace ${name} from the registry: ${describeFailure(result, this.options.secrets)}`,
      );
  }
}

export function selectionArgs(selection: Selection): string[] {
  const args: string[] = [];
  if (selection.smoke) args.push('--smoke');
  if (selection.regex) args.push('--regex', selection.regex);
  if (selection.includeList) args.push('--include-list', selection.includeList);
  if (selection.excludeList) args.push('--exclude-list', selection.excludeList);
  return args;
}

const TEST_ID = /^[A-Za-z_][\w.]*(\[[^\]\s]*\])?$/;

/** The ids `tempest run --list-tests` selects (in the order tempest prints them). */
export async function listTests(
  workspace: string,
  selection: Selection,
  options: TempestEnv,
): Promise<string[]> {
  const result = await call(options, ['run', '--list-tests', ...selectionArgs(selection)], {
    cwd: workspace,
    timeoutMs: 10 * 60_000,
  });
  if (result.exitCode !== 0)
    throw new JobFailure(`Listing the tests failed: ${describeFailure(result, options.secrets)}`);
  return result.stdout
    .split('\n')
    .map((line) => line.trim())
    .filter((line) => TEST_ID.test(line));
}

export interface RunOptions {
  loadList: string;
  /** Where the Subunit stream goes (binary, untouched). */
  output: string;
  concurrency: number;
  timeoutMs: number;
}

/**
 * `tempest run --subunit` for the tests in `loadList`. Its exit status says little (0 even when
 * tests fail), so the caller reads the stream. stdout is binary: the shell writes it to the file.
 */
export async function runTests(
  workspace: string,
  run: RunOptions,
  options: TempestEnv,
): Promise<ProcessResult> {
  const args = ['run', '--subunit', '--load-list', run.loadList];
  if (run.concurrency > 0) args.push('--concurrency', String(run.concurrency));
  options.log(`$ ${tempest(options)} ${args.join(' ')} > ${run.output}`);
  // tempest says nothing while it runs: read the stream it writes, as it grows (from a new file).
  rmSync(run.output, { force: true });
  const progress = new LiveProgress(run.output, options.log);
  const timer = setInterval(() => progress.poll(), 2_000);
  try {
    return await runTempestRun(workspace, run, options, args);
  } finally {
    clearInterval(timer);
    progress.finish();
  }
}

function runTempestRun(
  workspace: string,
  run: RunOptions,
  options: TempestEnv,
  args: string[],
): Promise<ProcessResult> {
  return runProcess(
    '/bin/sh',
    ['-c', 'out="$1"; shift; exec "$@" > "$out"', 'sh', run.output, tempest(options), ...args],
    {
      cwd: workspace,
      env: options.env,
      signal: options.signal,
      secrets: options.secrets,
      timeoutMs: run.timeoutMs,
    },
  );
}
