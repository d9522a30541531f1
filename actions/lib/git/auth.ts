import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import path from 'node:path';

/**
 * Credentials for git without ever putting them in a URL, on a command line or in a config file:
 * an HTTPS token travels as an `http.extraheader` set through `GIT_CONFIG_COUNT/KEY_n/VALUE_n`
 * environment variables (git ≥ 2.31), an SSH key as a 0600 file named in `GIT_SSH_COMMAND`.
 */

/** Environment additions for one git command, plus the values a log must never show. */
export interface GitAuthEnv {
  env: Record<string, string>;
  /** The token and the header value derived from it: pass both to redact()/runProcess secrets. */
  secrets: string[];
}

export interface HttpTokenOptions {
  /** Basic-auth user name sent with the token (GitHub, Gitea and GitLab accept `x-access-token`). */
  username?: string;
  /**
   * Send the header only to URLs under this one (`http.<url>.extraheader`): a redirect to another
   * host, or a command that talks to a second remote, never receives the token.
   */
  scopeUrl?: string;
  /**
   * The environment the git command would otherwise get: existing `GIT_CONFIG_COUNT` entries (a
   * runner or a caller may have set some) are kept and ours are appended after them.
   */
  baseEnv?: Readonly<Record<string, string | undefined>>;
}

/** Settings that keep git from ever waiting for a human. */
export const NON_INTERACTIVE_ENV: Readonly<Record<string, string>> = {
  GIT_TERMINAL_PROMPT: '0',
  GCM_INTERACTIVE: 'never',
  GIT_ASKPASS: '',
  SSH_ASKPASS: '',
};

/** `Authorization: Basic base64(username:token)`, the header value git sends. */
export function basicAuthHeader(token: string, username = 'x-access-token'): string {
  return `Authorization: Basic ${basicCredential(token, username)}`;
}

/**
 * The base64 credential inside that header: a secret derived from the token, which the caller
 * registers for masking (setSecret) along with the token itself.
 */
export function basicCredential(token: string, username = 'x-access-token'): string {
  return Buffer.from(`${username}:${token}`).toString('base64');
}

/**
 * Appends `name=value` pairs to the `GIT_CONFIG_*` list of `baseEnv` and returns only the
 * variables to set. Git reads them like `-c name=value` but they never appear in argv.
 */
export function gitConfigEnv(
  entries: readonly (readonly [key: string, value: string])[],
  baseEnv: Readonly<Record<string, string | undefined>> = {},
): Record<string, string> {
  const existing = Number.parseInt(baseEnv.GIT_CONFIG_COUNT ?? '0', 10);
  const start = Number.isInteger(existing) && existing > 0 ? existing : 0;
  const env: Record<string, string> = { GIT_CONFIG_COUNT: String(start + entries.length) };
  entries.forEach(([key, value], i) => {
    env[`GIT_CONFIG_KEY_${start + i}`] = key;
    env[`GIT_CONFIG_VALUE_${start + i}`] = value;
  });
  return env;
}

/**
 * Environment for an HTTPS token: the Basic auth header, credential helpers switched off (a
 * runner's helper must neither answer instead of the token nor store it) and no prompts.
 */
export function httpTokenEnv(token: string, options: HttpTokenOptions = {}): GitAuthEnv {
  if (token.trim() === '' || /[\r\n]/.test(token))
    throw new Error('A git token must be a non-empty single line');
  const header = basicAuthHeader(token, options.username);
  const key = options.scopeUrl ? `http.${headerScope(options.scopeUrl)}.extraheader` : 'http.extraheader';
  const env = {
    ...NON_INTERACTIVE_ENV,
    ...gitConfigEnv(
      [
        ['credential.helper', ''],
        [key, header],
      ],
      options.baseEnv,
    ),
  };
  return { env, secrets: [token, header, header.slice('Authorization: Basic '.length)] };
}

/** The URL git matches `http.<url>.*` against: no user info, query or fragment. */
export function headerScope(url: string): string {
  const parsed = new URL(url);
  if (parsed.username || parsed.password) {
    throw new Error(
      `The URL ${parsed.protocol}//${parsed.host}${parsed.pathname} carries credentials: pass the token as an input instead`,
    );
  }
  return `${parsed.protocol}//${parsed.host}${parsed.pathname}`;
}

/** An SSH private key written for one job; call dispose() in a finally (it is idempotent). */
export interface SshKeyFile extends GitAuthEnv {
  /** The key file (mode 0600, in a 0700 directory of its own); '' while withdrawn. */
  readonly file: string;
  /** The directory holding it: remove it to remove the key (the post step does, if main died). */
  readonly dir: string;
  /**
   * Removes the key from disk while code we did not write runs (a gate). `env` and `file` name
   * the next key file only after restore(); a Git runner made before must be made again.
   */
  withdraw(): Promise<void>;
  /** Writes the key again, into a new directory with a new name (nothing can wait at the old one). */
  restore(): Promise<void>;
  dispose(): Promise<void>;
}

/**
 * Writes `privateKey` to a fresh 0600 file under `tempDir` and returns a `GIT_SSH_COMMAND` that
 * uses only that key, never prompts, and accepts a host key on first contact but refuses a
 * changed one (the runner's known_hosts keeps what it learnt).
 */
export async function writeSshKey(privateKey: string, tempDir: string): Promise<SshKeyFile> {
  if (!/-----BEGIN [A-Z ]*PRIVATE KEY-----/.test(privateKey)) {
    throw new Error(
      'The SSH key is not a PEM/OpenSSH private key (expected a "-----BEGIN … PRIVATE KEY-----" block)',
    );
  }
  let dir = '';
  let file = '';
  let env: Record<string, string> = {};
  const place = async () => {
    dir = await mkdtemp(path.join(tempDir, 'git-ssh-'));
    file = path.join(dir, 'id');
    // ssh rejects a key whose last line lacks its newline; `mode` applies when the file is created.
    await writeFile(file, privateKey.replace(/\r\n/g, '\n').trimEnd() + '\n', { mode: 0o600, flag: 'wx' });
    const command = [
      'ssh',
      '-i',
      shellQuote(file),
      '-o IdentitiesOnly=yes',
      '-o BatchMode=yes',
      '-o StrictHostKeyChecking=accept-new',
    ].join(' ');
    env = { ...NON_INTERACTIVE_ENV, GIT_SSH_COMMAND: command, GIT_SSH_VARIANT: 'ssh' };
  };
  const remove = async () => {
    if (dir) await rm(dir, { recursive: true, force: true });
    file = '';
  };
  await place();
  let disposed = false;
  return {
    get file() {
      return file;
    },
    get dir() {
      return dir;
    },
    get env() {
      return env;
    },
    secrets: privateKey
      .split('\n')
      .map((line) => line.trim())
      .filter((line) => line.length >= 16 && !line.startsWith('-----')),
    withdraw: remove,
    async restore() {
      if (disposed) throw new Error('The SSH key was disposed of');
      await remove();
      await place();
    },
    async dispose() {
      if (disposed) return;
      disposed = true;
      await remove();
    },
  };
}

/** Removes a key directory left by a main step that died before its own cleanup. */
export async function removeSshKeyDir(dir: string): Promise<void> {
  if (dir && path.basename(dir).startsWith('git-ssh-')) await rm(dir, { recursive: true, force: true });
}

function shellQuote(text: string): string {
  return `'${text.replace(/'/g, `'\\''`)}'`;
}
