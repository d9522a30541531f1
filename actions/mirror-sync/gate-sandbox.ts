import { chown, mkdir, mkdtemp, rm } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { UserError } from '../lib/errors.js';
import type { Git } from '../lib/git/git.js';
import { runChecked, runProcess } from '../lib/process.js';

/**
 * Where a gate (code from upstream) runs, from strongest to weakest:
 * - `container`: in a throw-away container (podman or docker) with no network, no capabilities
 *   and no engine socket; it sees only the exported tree;
 * - `user`: as another, unprivileged user (the action runs as root): it cannot read this
 *   process's environment or memory (`/proc/<pid>/environ`), nor write the cache;
 * - `same-user`: as the runner's own user. It gets the allowlist environment and no credential
 *   files, but the kernel lets it read this process (docs/security.md names what is left).
 */
export type GateSandbox =
  | { kind: 'container'; engine: string; image: string; network: string }
  | { kind: 'user'; user: string; uid: number; gid: number }
  | { kind: 'same-user' };

export interface SandboxSettings {
  /** Run the gate in this image (`gate-image`). */
  image?: string;
  /** podman or docker (`gate-engine`); default: podman when installed, else docker. */
  engine?: string;
  /** The container's network (`gate-network`, default none). */
  network?: string;
  /** Run the gate as this user when root (`gate-user`, default nobody). */
  user?: string;
}

/** Variables every gate gets from the job's environment when set (more through `gate-env`). */
export const GATE_ENV_BASE = ['PATH', 'LANG', 'LC_ALL', 'TZ'] as const;
const DEFAULT_PATH = '/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin';

export async function chooseSandbox(
  settings: SandboxSettings,
  env: Readonly<Record<string, string | undefined>>,
  isRoot = process.getuid?.() === 0,
): Promise<GateSandbox> {
  if (settings.image) {
    const engine = settings.engine || ((await onPath('podman', env)) ? 'podman' : 'docker');
    return { kind: 'container', engine, image: settings.image, network: settings.network || 'none' };
  }
  if (!isRoot) {
    if (settings.user)
      throw new UserError(
        `Input 'gate-user': running the gate as ${settings.user} needs the action to run as root; use 'gate-image' or run the gate in a job of its own`,
      );
    return { kind: 'same-user' };
  }
  const user = settings.user || 'nobody';
  const [uid, gid] = await userIds(user, env);
  if (uid === 0) throw new UserError(`Input 'gate-user': ${user} is root; name an unprivileged user`);
  return { kind: 'user', user, uid, gid };
}

/** `1001`, `1001:1001` or a user name looked up with id(1) (NSS, not only /etc/passwd). */
async function userIds(
  user: string,
  env: Readonly<Record<string, string | undefined>>,
): Promise<[number, number]> {
  const numeric = /^(\d+)(?::(\d+))?$/.exec(user);
  if (numeric) return [Number(numeric[1]), Number(numeric[2] ?? numeric[1])];
  const id = async (flag: string) => {
    const result = await runProcess('id', [flag, '--', user], { env });
    if (result.exitCode !== 0)
      throw new UserError(`Input 'gate-user': no user ${JSON.stringify(user)} on this runner`);
    return Number(result.stdout.trim());
  };
  return [await id('-u'), await id('-g')];
}

async function onPath(command: string, env: Readonly<Record<string, string | undefined>>): Promise<boolean> {
  const result = await runProcess('sh', ['-c', 'command -v "$1"', 'sh', command], { env });
  return result.exitCode === 0;
}

/** The directories of one gate run: the tree, a fresh HOME and TMPDIR, all owned by the gate's user. */
export interface GateDirs {
  root: string;
  src: string;
  home: string;
  tmp: string;
}

/**
 * Exports the tree of `commit` from the cache with `git archive` into a fresh directory: plain
 * files, no `.git`, nothing that leads back to the cache's config, hooks or objects. Another
 * user gets a directory of its own under the system temp dir (the runner's may be unreachable
 * for it) and unpacks the archive itself, so every file is its own.
 */
export async function exportForGate(
  git: Git,
  repo: string,
  commit: string,
  tempDir: string,
  sandbox: GateSandbox,
): Promise<GateDirs> {
  const owner = sandbox.kind === 'user' ? { uid: sandbox.uid, gid: sandbox.gid } : undefined;
  const root = await mkdtemp(path.join(owner ? os.tmpdir() : tempDir, 'mirror-gate-'));
  const dirs = {
    root,
    src: path.join(root, 'src'),
    home: path.join(root, 'home'),
    tmp: path.join(root, 'tmp'),
  };
  try {
    for (const dir of [dirs.src, dirs.home, dirs.tmp]) await mkdir(dir, { mode: 0o700 });
    const archive = path.join(root, 'tree.tar');
    await git.run(['archive', '--format=tar', `--output=${archive}`, commit], { cwd: repo });
    if (owner)
      for (const dir of [root, dirs.src, dirs.home, dirs.tmp]) await chown(dir, owner.uid, owner.gid);
    await runChecked('tar', ['-x', '--no-same-owner', '-f', archive, '-C', dirs.src], {
      env: { PATH: git.env.PATH ?? DEFAULT_PATH, LC_ALL: 'C' },
      ...owner,
    });
    await rm(archive, { force: true });
    return dirs;
  } catch (err) {
    await rm(root, { recursive: true, force: true });
    throw err;
  }
}

/**
 * The gate's whole environment: the allowlist (GATE_ENV_BASE and `gate-env`) taken from the
 * job's, never the job's environment minus a denylist, plus its own HOME, TMPDIR and the
 * MIRROR_SYNC_* facts. A container keeps its image's PATH unless `gate-env` names PATH.
 */
export function gateEnvironment(options: {
  env: Readonly<Record<string, string | undefined>>;
  allow: readonly string[];
  sandbox: GateSandbox['kind'];
  home: string;
  tmp: string;
  facts: Record<string, string>;
}): Record<string, string> {
  const names = new Set<string>(
    options.sandbox === 'container' ? options.allow : [...GATE_ENV_BASE, ...options.allow],
  );
  const env: Record<string, string> = {};
  for (const name of names) {
    const value = options.env[name];
    if (value !== undefined) env[name] = value;
  }
  if (options.sandbox !== 'container') env.PATH ??= DEFAULT_PATH;
  return { ...env, HOME: options.home, TMPDIR: options.tmp, GIT_TERMINAL_PROMPT: '0', ...options.facts };
}

/** The command that starts the gate in its sandbox, and the environment that command gets. */
export function gateCommand(
  sandbox: GateSandbox,
  script: string,
  dirs: GateDirs,
  gateEnv: Record<string, string>,
  engineEnv: Readonly<Record<string, string | undefined>>,
  containerName: string,
): { file: string; args: string[]; env: Record<string, string | undefined>; uid?: number; gid?: number } {
  if (sandbox.kind !== 'container') {
    return {
      file: 'bash',
      args: ['-c', script],
      env: gateEnv,
      ...(sandbox.kind === 'user' ? { uid: sandbox.uid, gid: sandbox.gid } : {}),
    };
  }
  // The gate's variables are on the engine's command line: by construction none is a secret.
  const inContainer = { ...gateEnv, HOME: '/gate-home', TMPDIR: '/tmp' };
  const args = [
    'run',
    '--rm',
    `--name=${containerName}`,
    `--network=${sandbox.network}`,
    '--cap-drop=ALL',
    '--security-opt=no-new-privileges',
    `--volume=${dirs.src}:/src`,
    `--volume=${dirs.home}:/gate-home`,
    `--volume=${dirs.tmp}:/tmp`,
    '--workdir=/src',
    ...Object.entries(inContainer).flatMap(([name, value]) => ['-e', `${name}=${value}`]),
    '--entrypoint=bash',
    sandbox.image,
    '-c',
    script,
  ];
  return { file: sandbox.engine, args, env: engineEnv };
}
