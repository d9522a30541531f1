import semver from 'semver';
import { UserError } from '../errors.js';
import { describeFailure, runProcess, type ProcessResult, type RunOptions } from '../process.js';
import {
  historyArgs,
  listArgs,
  statusArgs,
  testArgs,
  uninstallArgs,
  upgradeInstallArgs,
  type HelmGlobals,
} from './argv.js';
import {
  isHelmTimeout,
  isReleaseNotFound,
  parseHistoryJson,
  parseListJson,
  parseReleaseJson,
  parseTestOutput,
} from './parse.js';
import {
  HelmError,
  type ApplyMethod,
  type CallOptions,
  type HelmClient,
  type HistoryEntry,
  type ListOptions,
  type ReleaseDetail,
  type ReleaseSummary,
  type TestOptions,
  type TestRunResult,
  type UninstallOptions,
  type UpgradeInstallRequest,
} from './types.js';

export type ProcessRunner = (
  file: string,
  args: readonly string[],
  options: RunOptions,
) => Promise<ProcessResult>;

export interface HelmCliOptions extends Omit<HelmGlobals, 'major'> {
  /** The helm binary (a path, or `helm` to take it from PATH). */
  binary?: string;
  /** A semver range the binary's version must satisfy (the profile's pin), e.g. `>=4.1 <5`. */
  version?: string;
  /** The complete environment of helm (the caller's ctx.env). */
  env?: Readonly<Record<string, string | undefined>>;
  cwd?: string;
  /** Receives each command line before it runs. */
  log?: (line: string) => void;
  /** Receives helm's output as it comes (e.g. the job log). */
  onOutput?: (text: string) => void;
  /** Extra time given to helm beyond its own --timeout before the process is killed. */
  graceMs?: number;
  /** For tests: runs the process (default: runProcess). */
  runner?: ProcessRunner;
}

/**
 * A thin adapter over the helm CLI (Helm 3 and Helm 4): argv in, parsed JSON out. It asks the binary
 * for its version once, before the first command, and builds every argv for that major.
 */
export class HelmCli implements HelmClient {
  private readonly binary: string;
  private readonly runner: ProcessRunner;
  private detected?: Promise<HelmGlobals>;

  constructor(private readonly options: HelmCliOptions = {}) {
    this.binary = options.binary ?? 'helm';
    this.runner = options.runner ?? runProcess;
  }

  private async exec(
    args: string[],
    call: CallOptions | undefined,
    helmTimeoutMs?: number,
  ): Promise<ProcessResult> {
    return this.runner(this.binary, args, {
      cwd: this.options.cwd,
      env: this.options.env,
      signal: call?.signal,
      log: this.options.log,
      onStderr: this.options.onOutput,
      timeoutMs: helmTimeoutMs === undefined ? 300_000 : helmTimeoutMs + (this.options.graceMs ?? 60_000),
    });
  }

  async checkVersion(): Promise<void> {
    await this.globals();
  }

  /** `helm version`, once: the flags of every later call depend on the major version. */
  globals(): Promise<HelmGlobals> {
    this.detected ??= this.detectVersion();
    return this.detected;
  }

  private async detectVersion(): Promise<HelmGlobals> {
    const result = await this.exec(['version', '--template', '{{.Version}}'], undefined);
    if (result.exitCode !== 0) throw this.fail(`${this.binary} version`, result);
    const version = semver.coerce(result.stdout.trim())?.version;
    const major = version ? semver.major(version) : undefined;
    // Both are the configuration's mistake (the profile's binary or pin), not a failed deployment.
    if (!version || (major !== 3 && major !== 4))
      throw new UserError(
        `${this.binary} is helm ${JSON.stringify(result.stdout.trim())}; Helm 3 or Helm 4 is needed`,
      );
    if (this.options.version && !semver.satisfies(version, this.options.version))
      throw new UserError(
        `${this.binary} is helm ${version}, but the profile pins helm version ${this.options.version}`,
      );
    return { kubeconfig: this.options.kubeconfig, kubeContext: this.options.kubeContext, major };
  }

  private fail(what: string, result: ProcessResult): HelmError {
    const timedOut = result.timedOut || isHelmTimeout(result.stderr);
    return new HelmError(`${what}: ${describeFailure(result)}`, {
      command: result.command,
      exitCode: result.exitCode,
      output: `${result.stdout}\n${result.stderr}`.trim(),
      timedOut,
      cancelled: result.cancelled,
    });
  }

  async upgradeInstall(request: UpgradeInstallRequest, call?: CallOptions): Promise<ReleaseDetail> {
    const globals = await this.globals();
    // Helm 4 forces differently per apply method. A release Helm 3 wrote has no apply method and
    // keeps client-side apply; a new release gets server-side apply.
    let applyMethod: ApplyMethod | undefined;
    if (globals.major === 4 && request.force) {
      const current = await this.status(request.release, request.namespace, call);
      applyMethod = current ? (current.applyMethod ?? 'csa') : 'ssa';
    }
    const args = upgradeInstallArgs(request, globals, applyMethod);
    const result = await this.exec(args, call, request.timeoutMs);
    if (result.exitCode !== 0) throw this.fail(`helm upgrade --install ${request.release}`, result);
    return parseReleaseJson(result.stdout, `helm upgrade ${request.release}`);
  }

  async status(release: string, namespace: string, call?: CallOptions): Promise<ReleaseDetail | undefined> {
    const result = await this.exec(statusArgs(release, namespace, await this.globals()), call);
    if (result.exitCode !== 0) {
      if (isReleaseNotFound(result.stderr)) return undefined;
      throw this.fail(`helm status ${release}`, result);
    }
    return parseReleaseJson(result.stdout, `helm status ${release}`);
  }

  async list(listOptions: ListOptions = {}, call?: CallOptions): Promise<ReleaseSummary[]> {
    const result = await this.exec(listArgs(listOptions, await this.globals()), call);
    if (result.exitCode !== 0) throw this.fail('helm list', result);
    return parseListJson(result.stdout);
  }

  async test(
    release: string,
    namespace: string,
    testOptions: TestOptions,
    call?: CallOptions,
  ): Promise<TestRunResult> {
    const result = await this.exec(
      testArgs(release, namespace, testOptions, await this.globals()),
      call,
      testOptions.timeoutMs,
    );
    const parsed = parseTestOutput(result.stdout);
    if (result.exitCode === 0) return { release, passed: true, suites: parsed.suites, logs: parsed.logs };
    // helm test prints the status (with each suite's phase) and exits 1 when a test failed; with
    // no suite in its output it never got as far as running one: that is an error, not a result.
    if (parsed.suites.length === 0 || result.timedOut || result.cancelled)
      throw this.fail(`helm test ${release}`, result);
    return {
      release,
      passed: false,
      suites: parsed.suites,
      logs: parsed.logs,
      failure: result.stderr.trim(),
    };
  }

  async uninstall(
    release: string,
    namespace: string,
    uninstallOptions: UninstallOptions = {},
    call?: CallOptions,
  ): Promise<void> {
    const result = await this.exec(
      uninstallArgs(release, namespace, uninstallOptions, await this.globals()),
      call,
      uninstallOptions.timeoutMs,
    );
    if (result.exitCode !== 0) throw this.fail(`helm uninstall ${release}`, result);
  }

  async history(
    release: string,
    namespace: string,
    max?: number,
    call?: CallOptions,
  ): Promise<HistoryEntry[]> {
    const result = await this.exec(historyArgs(release, namespace, max, await this.globals()), call);
    if (result.exitCode !== 0) {
      if (isReleaseNotFound(result.stderr)) return [];
      throw this.fail(`helm history ${release}`, result);
    }
    return parseHistoryJson(result.stdout);
  }
}
