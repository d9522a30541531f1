/**
 * Real git repositories for mirror-sync tests: a bare upstream, a bare mirror and a working
 * clone that writes to the upstream, all in a fresh temp dir.
 */
import { execFileSync } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import type { MirrorSyncConfig } from '../../actions/mirror-sync/config.js';
import type { SyncEnvironment } from '../../actions/mirror-sync/sync.js';

export const GIT_IDENTITY = {
  GIT_AUTHOR_NAME: 'Upstream Dev',
  GIT_AUTHOR_EMAIL: 'dev@upstream.example',
  GIT_COMMITTER_NAME: 'Upstream Dev',
  GIT_COMMITTER_EMAIL: 'dev@upstream.example',
};

export class Repos {
  readonly dir: string;
  readonly upstream: string;
  readonly mirror: string;
  readonly work: string;
  readonly cacheDir: string;
  private counter = 0;

  constructor() {
    this.dir = mkdtempSync(path.join(os.tmpdir(), 'mirror-sync-test-'));
    this.upstream = path.join(this.dir, 'upstream.git');
    this.mirror = path.join(this.dir, 'mirror.git');
    this.work = path.join(this.dir, 'work');
    this.cacheDir = path.join(this.dir, 'cache');
    git(this.dir, 'init', '--quiet', '--bare', this.upstream);
    git(this.dir, 'init', '--quiet', '--bare', this.mirror);
    git(this.dir, 'init', '--quiet', '-b', 'master', this.work);
  }

  /** A new commit on `branch` (created from the current HEAD when new); returns its id. */
  commit(branch = 'master', message = `change ${++this.counter}`): string {
    const exists = gitOk(this.work, 'rev-parse', '--verify', '--quiet', `refs/heads/${branch}`);
    if (exists) git(this.work, 'checkout', '--quiet', branch);
    else git(this.work, 'checkout', '--quiet', '-B', branch);
    git(this.work, 'commit', '--quiet', '--allow-empty', '-m', message);
    return this.rev('HEAD');
  }

  rev(what: string): string {
    return git(this.work, 'rev-parse', what).trim();
  }

  /** Pushes refspecs from the working clone to the upstream (`+` for forced). */
  pushUpstream(...refspecs: string[]): void {
    git(this.work, 'push', '--quiet', this.upstream, ...refspecs);
  }

  /** The refs of a bare repository. */
  refs(repo: string): Record<string, string> {
    const out = gitOk(repo, 'for-each-ref', '--format=%(refname) %(objectname)') ?? '';
    return Object.fromEntries(
      out
        .split('\n')
        .filter(Boolean)
        .map((l) => l.split(' ') as [string, string]),
    );
  }

  config(overrides: Partial<MirrorSyncConfig> = {}): MirrorSyncConfig {
    return {
      name: 'nova',
      upstream: this.upstream,
      mirror: `file://${this.mirror}`,
      refs: ['refs/heads/**', 'refs/tags/**'],
      excludeRefs: [],
      gateTimeoutMs: 60_000,
      gateEnv: [],
      gateSandbox: {},
      allowForce: [],
      prune: false,
      failFast: false,
      cacheDir: this.cacheDir,
      dryRun: false,
      source: 'test',
      secretEnv: [],
      ...overrides,
    };
  }

  remove(): void {
    rmSync(this.dir, { recursive: true, force: true });
  }
}

export function git(cwd: string, ...args: string[]): string {
  return execFileSync('git', args, {
    cwd,
    env: { ...process.env, ...GIT_IDENTITY },
    encoding: 'utf8',
    stdio: ['ignore', 'pipe', 'pipe'],
  });
}

function gitOk(cwd: string, ...args: string[]): string | undefined {
  try {
    return git(cwd, ...args);
  } catch {
    return undefined;
  }
}

/** A SyncEnvironment that records every log line (tests grep them for secrets). */
export function recordingEnvironment(
  tempDir: string,
  env: Record<string, string | undefined> = process.env,
): SyncEnvironment & { lines: string[] } {
  const lines: string[] = [];
  return {
    lines,
    env: { ...env, ...GIT_IDENTITY },
    tempDir,
    info: (m) => lines.push(`info: ${m}`),
    warning: (m) => lines.push(`warning: ${m}`),
    debug: (m) => lines.push(`debug: ${m}`),
  };
}
