/**
 * The container engine (docker or podman) as this stage uses it: check it answers, build an
 * image from a Dockerfile, and push with a login that exists only for the push.
 *
 * Builds and bats suites run code from the branch under test. They get an allowlist environment
 * (ENGINE_ENV: no INPUT_*, no registry password, no job `env:` secret) and an empty engine auth
 * config, never the runner's. The registry login happens in pushWithLogin(): password on stdin,
 * credentials in a fresh directory that is removed when the push is done.
 */
import { mkdir, mkdtemp, rm, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { UserError, errorMessage } from '../lib/errors.js';
import { type ProcessResult, describeFailure, runProcess, tail } from '../lib/process.js';
import type { EngineName } from './settings.js';

export interface BuildRequest {
  reference: string;
  dockerfile: string;
  contextDir: string;
  buildArgs: Record<string, string>;
  timeoutMs: number;
  onOutput?: (text: string) => void;
}

export interface EngineLogin {
  host: string;
  username: string;
  password: string;
  insecure: boolean;
}

/**
 * What the engine CLIs, kolla-build and bats need from the job's environment: where the engine
 * is, its own config files, locale, proxies. Nothing else reaches code under test.
 */
export const ENGINE_ENV = [
  'PATH',
  'HOME',
  'USER',
  'LOGNAME',
  'LANG',
  'LC_ALL',
  'TZ',
  'TMPDIR',
  'DOCKER_HOST',
  'DOCKER_TLS_VERIFY',
  'DOCKER_CERT_PATH',
  'DOCKER_BUILDKIT',
  'CONTAINER_HOST',
  'CONTAINERS_CONF',
  'CONTAINERS_STORAGE_CONF',
  'CONTAINERS_REGISTRIES_CONF',
  'BUILDAH_ISOLATION',
  'XDG_RUNTIME_DIR',
  'XDG_CONFIG_HOME',
  'XDG_DATA_HOME',
  'BATS_LIB_PATH',
  'http_proxy',
  'https_proxy',
  'no_proxy',
  'HTTP_PROXY',
  'HTTPS_PROXY',
  'NO_PROXY',
] as const;

export class ContainerEngine {
  /**
   * The environment of builds and bats suites: the ENGINE_ENV names of the job's environment and
   * an empty engine auth config (the runner's ~/.docker/config.json is never read).
   */
  readonly env: Record<string, string | undefined>;
  private readonly secrets: string[] = [];

  constructor(
    readonly name: EngineName,
    baseEnv: Readonly<Record<string, string | undefined>>,
    private readonly signal: AbortSignal,
    /** A directory of this run: holds the empty auth config, and the push's login while it lasts. */
    private readonly workDir: string,
  ) {
    this.env = { ...allowlisted(baseEnv), ...authEnv(name, path.join(workDir, 'no-auth')) };
  }

  /** Writes the empty auth config that builds and suites get. */
  async prepare(): Promise<void> {
    const dir = path.join(this.workDir, 'no-auth');
    await mkdir(dir, { recursive: true, mode: 0o700 });
    await writeFile(path.join(dir, this.name === 'docker' ? 'config.json' : 'auth.json'), '{"auths":{}}\n');
  }

  /** Fails with a UserError unless the engine answers (daemon up for docker, storage usable for podman). */
  async check(): Promise<string> {
    const args =
      this.name === 'docker'
        ? ['version', '--format', '{{.Server.Version}}']
        : ['info', '--format', '{{.Version.Version}}'];
    let result: ProcessResult;
    try {
      result = await runProcess(this.name, args, { env: this.env, timeoutMs: 60_000, signal: this.signal });
    } catch (err) {
      throw new UserError(`Container engine ${this.name} is not installed: ${errorMessage(err)}`);
    }
    if (result.exitCode !== 0) {
      const where =
        this.name === 'docker' ? ` (DOCKER_HOST=${this.env.DOCKER_HOST ?? 'default socket'})` : '';
      throw new UserError(
        `Container engine ${this.name} is not running or not reachable${where}:\n${tail(`${result.stdout}${result.stderr}`, 5)}`,
      );
    }
    return result.stdout.trim();
  }

  build(request: BuildRequest): Promise<ProcessResult> {
    const args = ['build', '--tag', request.reference, '--file', request.dockerfile];
    for (const [name, value] of Object.entries(request.buildArgs))
      args.push('--build-arg', `${name}=${value}`);
    args.push(request.contextDir);
    return runProcess(this.name, args, {
      env: this.env,
      timeoutMs: request.timeoutMs,
      signal: this.signal,
      onStdout: request.onOutput,
      onStderr: request.onOutput,
    });
  }

  /**
   * Logs in (password on stdin) with a fresh auth directory, runs `push` for each reference with
   * it, and removes the directory again, whatever happened. Without a login the pushes get the
   * empty config.
   */
  async pushWithLogin<T>(
    login: EngineLogin | undefined,
    pushAll: (
      push: (
        reference: string,
        insecure: boolean,
        timeoutMs: number,
        onOutput?: (text: string) => void,
      ) => Promise<ProcessResult>,
    ) => Promise<T>,
  ): Promise<T> {
    if (!login) return pushAll((...args) => this.push(this.env, ...args));
    const authDir = await mkdtemp(path.join(this.workDir, 'push-auth-'));
    try {
      const env = { ...this.env, ...authEnv(this.name, authDir) };
      await this.login(env, login);
      return await pushAll((...args) => this.push(env, ...args));
    } finally {
      await rm(authDir, { recursive: true, force: true });
    }
  }

  private async login(env: Record<string, string | undefined>, login: EngineLogin): Promise<void> {
    this.secrets.push(login.password);
    const args = ['login', '--username', login.username, '--password-stdin'];
    if (this.name === 'podman' && login.insecure) args.push('--tls-verify=false');
    args.push(login.host);
    const result = await runProcess(this.name, args, {
      env,
      input: `${login.password}\n`,
      secrets: this.secrets,
      timeoutMs: 120_000,
      signal: this.signal,
    });
    if (result.exitCode !== 0) {
      throw new UserError(
        `${this.name} login to ${login.host} as ${login.username} failed: ${describeFailure(result, this.secrets, 5)}`,
      );
    }
  }

  private push(
    env: Record<string, string | undefined>,
    reference: string,
    insecure: boolean,
    timeoutMs: number,
    onOutput?: (text: string) => void,
  ): Promise<ProcessResult> {
    const args = ['push'];
    if (this.name === 'podman' && insecure) args.push('--tls-verify=false');
    args.push(reference);
    return runProcess(this.name, args, {
      env,
      secrets: this.secrets,
      timeoutMs,
      signal: this.signal,
      onStdout: onOutput,
      onStderr: onOutput,
    });
  }

  async remove(reference: string): Promise<void> {
    await runProcess(this.name, ['image', 'rm', reference], {
      env: this.env,
      timeoutMs: 60_000,
      signal: this.signal,
    });
  }
}

function allowlisted(env: Readonly<Record<string, string | undefined>>): Record<string, string> {
  const out: Record<string, string> = {};
  for (const name of ENGINE_ENV) {
    const value = env[name];
    if (value !== undefined) out[name] = value;
  }
  return out;
}

/** Points the engine at the auth config in `dir` (docker: DOCKER_CONFIG, podman: REGISTRY_AUTH_FILE). */
function authEnv(engine: EngineName, dir: string): Record<string, string> {
  return engine === 'docker' ? { DOCKER_CONFIG: dir } : { REGISTRY_AUTH_FILE: path.join(dir, 'auth.json') };
}
