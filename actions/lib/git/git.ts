import { describeFailure, ProcessError, type ProcessResult, runProcess } from '../process.js';
import { type GitAuthEnv, httpTokenEnv, NON_INTERACTIVE_ENV } from './auth.js';
import { UNTRUSTED_REPO_CONFIG } from './isolation.js';

/**
 * The one way this repository runs git: a runner bound to an environment (C locale, so git's
 * messages can be matched; never prompting), the secrets to blank out and a cancellation signal.
 * `withAuth` / `forRemote` derive a runner that talks to one remote with its credentials; the base
 * runner never sends any, so a command can only ever send the token meant for its remote.
 */
export interface GitOptions {
  /** The environment commands start from (ctx.env). */
  env: Readonly<Record<string, string | undefined>>;
  secrets?: readonly string[];
  signal?: AbortSignal;
  /** Receives each command line (redacted) before it runs. */
  log?: (line: string) => void;
  /** `-c name=value` settings put before every command (they override every config file). */
  config?: readonly (readonly [key: string, value: string])[];
  /** An HTTPS token that `forRemote(url)` presents to that URL only (never in argv or a URL). */
  token?: string;
}

/** A runner and where its temporary repositories go: what code that clones, tags or appends needs. */
export interface GitWorkspace {
  git: Git;
  tempDir: string;
  log?: (line: string) => void;
}

/** The committer of what taco-ci writes itself (ledger entries, release tags). */
export const TACO_CI_IDENTITY: Readonly<Record<string, string>> = {
  GIT_AUTHOR_NAME: 'taco-ci',
  GIT_AUTHOR_EMAIL: 'taco-ci@users.noreply.invalid',
  GIT_COMMITTER_NAME: 'taco-ci',
  GIT_COMMITTER_EMAIL: 'taco-ci@users.noreply.invalid',
};

export interface GitCallOptions {
  cwd?: string;
  input?: string;
  timeoutMs?: number;
  /** Exit codes that are answers, not failures (e.g. 1 for `merge-base --is-ancestor`). */
  okExitCodes?: readonly number[];
  /** Receives git's stderr as it comes (progress output, for `fetch/push --progress`). */
  onStderr?: (text: string) => void;
}

export class GitError extends ProcessError {
  override readonly name: string = 'GitError';
}

export class Git {
  readonly env: Readonly<Record<string, string | undefined>>;
  readonly secrets: readonly string[];

  constructor(private readonly options: GitOptions) {
    // Machine-readable messages, and git never waits for a person. GIT_FLUSH=0: into a pipe,
    // rev-list and log otherwise write every line on its own (a first sync's graph came as 30,000
    // reads, 0.3 s of this process's CPU); nothing here reads git's output while git still runs.
    this.env = { ...options.env, ...NON_INTERACTIVE_ENV, LC_ALL: 'C', LANGUAGE: '', GIT_FLUSH: '0' };
    // Derived runners pass the options on (token included) with this runner's secrets: once each.
    this.secrets = [...new Set([...(options.secrets ?? []), ...(options.token ? [options.token] : [])])];
  }

  /** A runner for one remote named by URL: over HTTPS it sends this runner's token, to that URL only. */
  forRemote(url: string): Git {
    const token = this.options.token;
    if (!token || !/^https?:/i.test(url)) return this;
    return this.withAuth(httpTokenEnv(token, { scopeUrl: url, baseEnv: this.env }));
  }

  /** A runner with these variables added to its environment (e.g. TACO_CI_IDENTITY). */
  withEnv(env: Readonly<Record<string, string>>): Git {
    return this.withAuth({ env: { ...env }, secrets: [] });
  }

  /**
   * A runner for a scratch repository in a temp dir: no hooks or fsmonitor from a runner's global
   * config run there, and no ext:: transport.
   */
  forScratch(): Git {
    return this.withConfig(UNTRUSTED_REPO_CONFIG);
  }

  /** A runner whose commands carry `auth` (its env layered over this runner's). */
  withAuth(auth: GitAuthEnv | undefined): Git {
    if (!auth) return this;
    return new Git({
      ...this.options,
      env: { ...this.env, ...auth.env },
      secrets: [...this.secrets, ...auth.secrets],
    });
  }

  /** A runner whose commands also carry these `-c` settings (after this runner's). */
  withConfig(config: readonly (readonly [key: string, value: string])[]): Git {
    return new Git({
      ...this.options,
      env: this.env,
      secrets: this.secrets,
      config: [...(this.options.config ?? []), ...config],
    });
  }

  async run(args: readonly string[], options: GitCallOptions = {}): Promise<ProcessResult> {
    const config = (this.options.config ?? []).flatMap(([key, value]) => ['-c', `${key}=${value}`]);
    const result = await runProcess('git', [...config, ...args], {
      cwd: options.cwd,
      env: this.env,
      input: options.input,
      timeoutMs: options.timeoutMs,
      signal: this.options.signal,
      secrets: this.secrets,
      log: this.options.log,
      ...(options.onStderr ? { onStderr: options.onStderr } : {}),
    });
    const ok = [0, ...(options.okExitCodes ?? [])];
    if (result.exitCode === null || !ok.includes(result.exitCode)) {
      throw new GitError(describeFailure(result, this.secrets), result);
    }
    return result;
  }

  /** stdout of a successful command, trailing newline removed. */
  async output(args: readonly string[], options: GitCallOptions = {}): Promise<string> {
    return (await this.run(args, options)).stdout.replace(/\n$/, '');
  }
}

/** The first line of git's complaint (`fatal: …`), redacted, for one-line error messages. */
export function gitComplaint(result: ProcessResult, secrets: readonly string[] = []): string {
  const lines = result.stderr.split('\n').map((l) => l.trim());
  const line =
    lines.find((l) => /^(fatal|error):/.test(l)) ??
    lines.find((l) => l !== '') ??
    `exit code ${result.exitCode}`;
  let text = line;
  for (const secret of secrets) if (secret.length >= 3) text = text.split(secret).join('***');
  return text;
}
