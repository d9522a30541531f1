/**
 * The container engine (docker or podman) as this stage uses it: check it answers, build an
 * image from a Dockerfile, log in (password on stdin, never in argv) and push. Credentials go to a
 * private config (DOCKER_CONFIG / REGISTRY_AUTH_FILE in the run's temp dir), never to the user's.
 */
import { mkdirSync } from 'node:fs';
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

export class ContainerEngine {
  /** The environment every engine command (and every bats suite) runs with. */
  readonly env: Record<string, string | undefined>;
  private readonly secrets: string[] = [];

  constructor(
    readonly name: EngineName,
    baseEnv: Readonly<Record<string, string | undefined>>,
    private readonly signal: AbortSignal,
    private readonly authDir: string,
  ) {
    this.env = { ...baseEnv };
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

  /** Logs in with the password on stdin; the credentials land in a file under the run's temp dir. */
  async login(login: EngineLogin): Promise<void> {
    this.secrets.push(login.password);
    mkdirSync(this.authDir, { recursive: true, mode: 0o700 });
    if (this.name === 'docker') this.env.DOCKER_CONFIG = this.authDir;
    else this.env.REGISTRY_AUTH_FILE = path.join(this.authDir, 'auth.json');
    const args = ['login', '--username', login.username, '--password-stdin'];
    if (this.name === 'podman' && login.insecure) args.push('--tls-verify=false');
    args.push(login.host);
    const result = await runProcess(this.name, args, {
      env: this.env,
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

  push(
    reference: string,
    insecure: boolean,
    timeoutMs: number,
    onOutput?: (text: string) => void,
  ): Promise<ProcessResult> {
    const args = ['push'];
    if (this.name === 'podman' && insecure) args.push('--tls-verify=false');
    args.push(reference);
    return runProcess(this.name, args, {
      env: this.env,
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
