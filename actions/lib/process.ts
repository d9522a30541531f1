import type { Readable } from 'node:stream';
import path from 'node:path';
import { ExternalError } from './errors.js';
import { redact } from './redact.js';
import { childProcess } from './lazy-builtins.js';

/**
 * Runs external commands with a timeout and cancellation. @actions/exec gives no handle on the
 * child, so it can neither time out nor stop a process tree; this spawns each command in its own
 * process group and signals the whole group (TERM, then KILL after a grace period).
 */
export interface RunOptions {
  cwd?: string;
  /** The complete environment of the child (defaults to process.env). */
  env?: Readonly<Record<string, string | undefined>>;
  input?: string | Buffer;
  timeoutMs?: number;
  signal?: AbortSignal;
  /** Values blanked out wherever the command line or its output is logged. */
  secrets?: readonly string[];
  /** Receives the (redacted) command line before it starts. */
  log?: (line: string) => void;
  onStdout?: (text: string) => void;
  onStderr?: (text: string) => void;
  /** How long a signalled process may take to exit before it is killed (default 5 s). */
  killGraceMs?: number;
  /** Bytes of stdout/stderr kept in the result; older output is dropped (default 32 MiB each). */
  maxBufferBytes?: number;
  /** Run the child as this user and group (needs root; supplementary groups are dropped). */
  uid?: number;
  gid?: number;
}

export interface ProcessResult {
  /** The command line as logged, with secrets blanked. */
  command: string;
  /** The program's file name (`git`, `helm`): the service a failure names. */
  program: string;
  exitCode: number | null;
  signal: NodeJS.Signals | null;
  stdout: string;
  stderr: string;
  timedOut: boolean;
  cancelled: boolean;
  durationMs: number;
}

/** A command that failed: the tool it ran is the service that failed. */
export class ProcessError extends ExternalError {
  override readonly name: string = 'ProcessError';
  constructor(
    message: string,
    readonly result: ProcessResult,
  ) {
    super(result.program, message);
  }
}

export function formatCommand(
  file: string,
  args: readonly string[],
  secrets: readonly string[] = [],
): string {
  const quoted = [file, ...args].map((part) =>
    /^[\w@%+=:,./-]+$/.test(part) ? part : `'${part.replace(/'/g, `'\\''`)}'`,
  );
  return redact(quoted.join(' '), secrets);
}

class TailBuffer {
  private chunks: Buffer[] = [];
  private size = 0;
  constructor(private readonly limit: number) {}
  push(chunk: Buffer): void {
    this.chunks.push(chunk);
    this.size += chunk.length;
    while (this.size > this.limit && this.chunks.length > 1) this.size -= this.chunks.shift()!.length;
  }
  toString(): string {
    return Buffer.concat(this.chunks).toString('utf8');
  }
}

export function runProcess(
  file: string,
  args: readonly string[],
  options: RunOptions = {},
): Promise<ProcessResult> {
  const secrets = options.secrets ?? [];
  const command = formatCommand(file, args, secrets);
  options.log?.(`$ ${command}`);
  const started = Date.now();

  return new Promise((resolve, reject) => {
    if (options.signal?.aborted) {
      resolve(notStarted(command, file));
      return;
    }
    const child = childProcess().spawn(file, args, {
      cwd: options.cwd,
      env: (options.env ?? process.env) as NodeJS.ProcessEnv,
      detached: true,
      stdio: ['pipe', 'pipe', 'pipe'],
      uid: options.uid,
      gid: options.gid,
    });
    let timedOut = false;
    let cancelled = false;
    let killTimer: NodeJS.Timeout | undefined;

    const stopGroup = () => {
      signalGroup(child.pid, 'SIGTERM');
      killTimer ??= setTimeout(() => signalGroup(child.pid, 'SIGKILL'), options.killGraceMs ?? 5000);
    };
    const timeout =
      options.timeoutMs !== undefined
        ? setTimeout(() => {
            timedOut = true;
            stopGroup();
          }, options.timeoutMs)
        : undefined;
    const onAbort = () => {
      cancelled = true;
      stopGroup();
    };
    options.signal?.addEventListener('abort', onAbort, { once: true });

    const { stdout, stderr } = collectOutput(child, options, secrets);
    child.stdin.on('error', () => undefined); // a child that exits without reading its input
    child.stdin.end(options.input ?? undefined);

    child.on('error', (err) => {
      clearTimeout(timeout);
      options.signal?.removeEventListener('abort', onAbort);
      const code = (err as NodeJS.ErrnoException).code;
      const message =
        code === 'ENOENT' ? `Command not found: ${file}` : `Could not start ${file}: ${err.message}`;
      reject(new ExternalError(path.basename(file), message, { cause: err }));
    });
    child.on('close', (exitCode, signal) => {
      clearTimeout(timeout);
      // The group leader is gone; make sure nothing it started lingers.
      if (timedOut || cancelled) signalGroup(child.pid, 'SIGKILL');
      if (killTimer) clearTimeout(killTimer);
      options.signal?.removeEventListener('abort', onAbort);
      resolve({
        command,
        program: path.basename(file),
        exitCode,
        signal,
        stdout: stdout.toString(),
        stderr: stderr.toString(),
        timedOut,
        cancelled,
        durationMs: Date.now() - started,
      });
    });
  });
}

/** The result of a command whose cancellation came before it could start. */
function notStarted(command: string, file: string): ProcessResult {
  return {
    command,
    program: path.basename(file),
    exitCode: null,
    signal: null,
    stdout: '',
    stderr: '',
    timedOut: false,
    cancelled: true,
    durationMs: 0,
  };
}

/** Keeps the tail of the child's output and passes it on (redacted) as it comes. */
function collectOutput(
  child: { stdout: Readable; stderr: Readable },
  options: RunOptions,
  secrets: readonly string[],
): { stdout: TailBuffer; stderr: TailBuffer } {
  const limit = options.maxBufferBytes ?? 32 * 1024 * 1024;
  const stdout = new TailBuffer(limit);
  const stderr = new TailBuffer(limit);
  child.stdout.on('data', (chunk: Buffer) => {
    stdout.push(chunk);
    options.onStdout?.(redact(chunk.toString('utf8'), secrets));
  });
  child.stderr.on('data', (chunk: Buffer) => {
    stderr.push(chunk);
    options.onStderr?.(redact(chunk.toString('utf8'), secrets));
  });
  return { stdout, stderr };
}

function signalGroup(pid: number | undefined, signal: NodeJS.Signals): void {
  if (pid === undefined) return;
  try {
    process.kill(-pid, signal);
  } catch {
    // already gone
  }
}

/** Runs a command and throws ProcessError (with the output's tail) unless it exits 0. */
export async function runChecked(
  file: string,
  args: readonly string[],
  options: RunOptions = {},
): Promise<ProcessResult> {
  const result = await runProcess(file, args, options);
  if (result.exitCode !== 0) throw new ProcessError(describeFailure(result, options.secrets ?? []), result);
  return result;
}

export function describeFailure(
  result: ProcessResult,
  secrets: readonly string[] = [],
  tailLines = 20,
): string {
  const why = result.timedOut
    ? 'timed out'
    : result.cancelled
      ? 'was cancelled'
      : result.signal
        ? `was killed by ${result.signal}`
        : `exited with code ${result.exitCode}`;
  const output = tail(
    redact(`${result.stdout}${result.stderr ? `\n${result.stderr}` : ''}`, secrets),
    tailLines,
  );
  return `\`${result.command}\` ${why}${output ? `:\n${output}` : ''}`;
}

/** The last `lines` non-empty-trailing lines of text. */
export function tail(text: string, lines: number): string {
  const all = text.replace(/\s+$/, '').split('\n');
  return all.slice(Math.max(0, all.length - lines)).join('\n');
}
