import { existsSync, mkdirSync, readFileSync, statSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { errorMessage, ExternalError, UserError } from '../errors.js';
import { type ProcessResult, runProcess, tail } from '../process.js';
import { rallyReportToJUnit } from './junit.js';
import { RallyProgress } from './progress.js';
import { type RallyReport, parseRallyReport, RallyReportError, reportPassed } from './report.js';

/**
 * Runs one Rally task with the `rally` CLI in an isolated Rally home: its own rally.conf and (by
 * default) a fresh sqlite database under `workDir`, so concurrent runs never share state (the
 * Debian package's /etc/rally/rally.conf is unusable, and Rally's "current env/task" lives in
 * ~/.rally/globals, which this never touches: every command names its env and task).
 */
export interface RallyDeployment {
  /** The Rally env name (default `taco`). */
  name?: string;
  /** An env spec (`rally env create --spec`), e.g. `{openstack: {auth_url, users: [...]}}`. */
  spec?: Record<string, unknown>;
  /** Create the env from OS_* variables of `env` (`rally env create --from-sysenv`). */
  fromSysEnv?: boolean;
}

export interface RunRallyTaskOptions {
  /** Task file (YAML or JSON, format v1 or v2; may be a Jinja2 template). */
  taskFile: string;
  /** Jinja2 template arguments; passed through a file, never on the command line. */
  taskArgs?: Record<string, unknown>;
  /** Rally's home for this run: rally.conf, database, log, reports. Created if missing. */
  workDir: string;
  /**
   * Where the task runs. With a fresh database (the default) the env is created from `spec`,
   * from OS_* variables, or empty (`{}`: enough for Rally's own Dummy scenarios). With `database`
   * and only a `name`, an env of that name must already exist in that database.
   */
  deployment?: RallyDeployment;
  /** An existing Rally database (SQLAlchemy URL) instead of a fresh sqlite one. */
  database?: string;
  signal?: AbortSignal;
  /** Limit for `rally task start` (the run itself). */
  timeoutMs?: number;
  /**
   * Receives Rally's output line by line (ANSI colours removed) and the commands run; its
   * per-iteration lines come as progress lines instead (`progress: 40 iterations finished: 38 ok,
   * 2 failed`), at most one every `progressIntervalMs` (default 10 s) and the total at the end.
   */
  log?: (line: string) => void;
  progressIntervalMs?: number;
  /** Environment of the rally processes (default process.env). */
  env?: Record<string, string | undefined>;
  /** Tags recorded with the task (`--tag`). */
  tags?: string[];
  /** Also write the HTML report (default true). */
  html?: boolean;
  /** The rally executable (default `rally` on PATH). */
  rallyBinary?: string;
}

export interface RallyRun {
  /** Exit code of `rally task start` (null when it was killed). */
  exitCode: number | null;
  taskId?: string;
  report?: RallyReport;
  reportFile?: string;
  htmlFile?: string;
  junitFile?: string;
  /** True only when Rally exited 0 and the report shows every workload passing its SLA. */
  slaPassed: boolean;
  /** Rally failed for another reason than an SLA: crash, timeout, missing report. */
  crashed: boolean;
  /** Why it counts as crashed, with the end of Rally's output. */
  crashReason?: string;
  cancelled: boolean;
  timedOut: boolean;
  startedAt: string;
  finishedAt: string;
  workDir: string;
  /** Rally's own log file. */
  logFile: string;
}

/** Exit codes of Rally's exceptions that mean the task file or its arguments are wrong. */
const TASK_INPUT_ERRORS: Record<number, string> = {
  110: 'ValidationError',
  111: 'InvalidArgumentsException',
  112: 'InvalidConfigException',
  113: 'InvalidTaskException',
  114: 'InvalidTaskConfig',
  115: 'InvalidScenarioArgument',
  117: 'invalid --task',
  211: 'PluginNotFound',
};
const RECORD_NOT_FOUND = 203;
/** `rally task start`: 0 all SLA passed, 2 an SLA failed (rally/cli/commands/task.py). */
export const RALLY_SLA_FAILED = 2;

/** The task file (or its Jinja arguments) is invalid: Rally refused it before running. */
export class RallyTaskFileError extends UserError {}

/** The named Rally deployment/env does not exist or could not be created. */
export class RallyDeploymentError extends UserError {}

/** Rally could not be set up (database) — not the task's fault. */
export class RallySetupError extends ExternalError {
  override readonly name: string = 'RallySetupError';
  constructor(message: string) {
    super('rally', message);
  }
}

/** The report `rally task report --json` wrote: when it is malformed, Rally failed, not the task file. */
function readOwnReport(file: string): RallyReport {
  try {
    return parseRallyReport(JSON.parse(readFileSync(file, 'utf8')), file);
  } catch (err) {
    const message =
      err instanceof RallyReportError
        ? err.message
        : `${file}: Rally's JSON report is not JSON: ${errorMessage(err)}`;
    throw new ExternalError('rally', message, { cause: err });
  }
}

// eslint-disable-next-line no-control-regex -- ANSI colour codes are what this removes
const ANSI = /\u001b\[[0-9;]*m/g;
const UUID = '[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}';

export function rallyConf(workDir: string, database?: string): string {
  return [
    '[DEFAULT]',
    `log_file = ${path.join(workDir, 'rally.log')}`,
    '',
    '[database]',
    `connection = ${database ?? `sqlite:///${path.join(workDir, 'rally.sqlite')}`}`,
    '',
  ].join('\n');
}

/** The task UUID from `rally task start` output ("Task  <uuid>: started" / "Using task: <uuid>"). */
export function taskIdFromOutput(stdout: string): string | undefined {
  const match = new RegExp(`(?:Using task: |Task\\s+(?:\\[tags:[^\\]]*\\]\\s+)?)(${UUID})`).exec(
    stdout.replace(ANSI, ''),
  );
  return match?.[1];
}

/** The part of Rally's output that explains a refusal (its message follows its progress chatter). */
export function rallyErrorText(stdout: string, lines = 12): string {
  const clean = stdout
    .replace(ANSI, '')
    // The cropped task Rally echoes back as one JSON line only repeats the task file.
    .replace(/^Subtask configuration:\n\{.*\}\n/m, '')
    .split('\n')
    .map((line) => (line.length > 400 ? `${line.slice(0, 397)}...` : line));
  const start = clean.findIndex((line) =>
    /^(Invalid --task passed|Input task is invalid|Task config is invalid|Record for |There is no )/.test(
      line,
    ),
  );
  const text = start >= 0 ? clean.slice(start).join('\n') : clean.join('\n');
  return tail(text.trim(), lines);
}

type RallyCli = (
  args: string[],
  extra?: { timeoutMs?: number; stream?: boolean; progress?: RallyProgress },
) => Promise<ProcessResult>;

/** Everything one run shares: where Rally lives, how to call it, how to log. */
interface RallyHome {
  taskFile: string;
  workDir: string;
  deploymentName: string;
  log: (line: string) => void;
  rallyCli: RallyCli;
}

type RunOutcome = Omit<RallyRun, 'startedAt' | 'finishedAt' | 'workDir' | 'logFile'>;

export async function runRallyTask(options: RunRallyTaskOptions): Promise<RallyRun> {
  const startedAt = new Date().toISOString();
  const home = prepareRallyHome(options);
  const finish = (run: RunOutcome): RallyRun => ({
    ...run,
    startedAt,
    finishedAt: new Date().toISOString(),
    workDir: home.workDir,
    logFile: path.join(home.workDir, 'rally.log'),
  });

  if (!options.database && (await createDatabase(home)) === 'cancelled')
    return finish(cancelledOutcome(null));
  if (needsNewEnv(options) && (await createEnv(home, options.deployment)) === 'cancelled') {
    return finish(cancelledOutcome(null));
  }
  const started = await startTask(home, options);
  const taskId = taskIdFromOutput(started.stdout);
  if (started.cancelled) return finish(cancelledOutcome(started.exitCode, taskId));
  throwIfRefused(started, options.taskFile, home.deploymentName);

  const reasons = startFailureReasons(started, options.timeoutMs);
  let reports: RallyReports = {};
  if (taskId) {
    const written = await writeReports(home, taskId, options.html !== false);
    if (written === 'cancelled') return finish(cancelledOutcome(started.exitCode, taskId));
    reports = written.reports;
    reasons.push(...written.reasons);
  } else if (reasons.length === 0) {
    reasons.push(
      `rally task start exited with code ${started.exitCode} without naming a task:\n${rallyErrorText(started.stdout + started.stderr, 15)}`,
    );
  }
  if (reports.report) reasons.push(...reportReasons(reports.report, started.exitCode, reasons.length === 0));
  return finish(outcome(started, taskId, reports, reasons));
}

/** Checks the task file and writes the run's own rally.conf into `workDir`. */
function prepareRallyHome(options: RunRallyTaskOptions): RallyHome {
  const taskFile = path.resolve(options.taskFile);
  if (!existsSync(taskFile) || !statSync(taskFile).isFile()) {
    throw new RallyTaskFileError(`Rally task file ${options.taskFile} does not exist`);
  }
  const workDir = path.resolve(options.workDir);
  mkdirSync(workDir, { recursive: true });
  const confFile = path.join(workDir, 'rally.conf');
  writeFileSync(confFile, rallyConf(workDir, options.database));
  const log = options.log ?? (() => undefined);
  return {
    taskFile,
    workDir,
    deploymentName: options.deployment?.name ?? 'taco',
    log,
    rallyCli: rallyCommand({
      rally: options.rallyBinary ?? 'rally',
      confFile,
      workDir,
      env: options.env ?? process.env,
      signal: options.signal,
      log,
    }),
  };
}

/** A runner of `rally --config-file <conf> ...` whose output goes to `log` line by line. */
function rallyCommand(setup: {
  rally: string;
  confFile: string;
  workDir: string;
  env: Record<string, string | undefined>;
  signal?: AbortSignal;
  log: (line: string) => void;
}): RallyCli {
  const { log } = setup;
  return (args, extra = {}) => {
    let pending = '';
    const logLine = (line: string) => {
      if (!extra.progress?.take(line)) log(line);
    };
    const emit = (text: string) => {
      pending += text.replace(ANSI, '');
      const lines = pending.split('\n');
      pending = lines.pop() ?? '';
      for (const line of lines) logLine(line);
    };
    return runProcess(setup.rally, ['--config-file', setup.confFile, ...args], {
      cwd: setup.workDir,
      env: setup.env,
      signal: setup.signal,
      timeoutMs: extra.timeoutMs,
      log,
      ...(extra.stream ? { onStdout: emit, onStderr: emit } : {}),
    }).finally(() => {
      if (pending) logLine(pending);
      extra.progress?.finish();
    });
  };
}

function cancelledOutcome(exitCode: number | null, taskId?: string): RunOutcome {
  return {
    exitCode,
    ...(taskId ? { taskId } : {}),
    slaPassed: false,
    crashed: false,
    cancelled: true,
    timedOut: false,
  };
}

async function createDatabase(home: RallyHome): Promise<'created' | 'cancelled'> {
  const created = await home.rallyCli(['db', 'create']);
  if (created.cancelled) return 'cancelled';
  if (created.exitCode !== 0) {
    throw new RallySetupError(
      `Could not create the Rally database in ${home.workDir}: rally db create exited with ${created.exitCode}:\n${tail(created.stdout + created.stderr, 15)}`,
    );
  }
  return 'created';
}

/** A fresh database has no env yet; an existing one gets a new env only when given how to make it. */
function needsNewEnv(options: RunRallyTaskOptions): boolean {
  return !options.database || options.deployment?.spec !== undefined || !!options.deployment?.fromSysEnv;
}

async function createEnv(
  home: RallyHome,
  deployment: RallyDeployment | undefined,
): Promise<'created' | 'cancelled'> {
  const args = ['env', 'create', '--name', home.deploymentName, '--no-use'];
  if (deployment?.fromSysEnv) {
    args.push('--from-sysenv');
  } else {
    const specFile = path.join(home.workDir, 'env-spec.json');
    writeFileSync(specFile, JSON.stringify(deployment?.spec ?? {}), { mode: 0o600 });
    args.push('--spec', specFile);
  }
  const created = await home.rallyCli(args);
  if (created.cancelled) return 'cancelled';
  if (created.exitCode !== 0) {
    throw new RallyDeploymentError(
      `Rally could not create the deployment "${home.deploymentName}" (exit ${created.exitCode}):\n${rallyErrorText(created.stdout)}${missingPlatformHint(created.stdout + created.stderr)}`,
    );
  }
  return 'created';
}

/** `rally task start`, its arguments passed through a file, its per-iteration lines as progress. */
function startTask(home: RallyHome, options: RunRallyTaskOptions): Promise<ProcessResult> {
  const argsFile = path.join(home.workDir, 'task-args.json');
  writeFileSync(argsFile, JSON.stringify(options.taskArgs ?? {}), { mode: 0o600 });
  const startArgs = [
    'task',
    'start',
    '--task',
    home.taskFile,
    '--task-args-file',
    argsFile,
    '--deployment',
    home.deploymentName,
    '--no-use',
  ];
  if (options.tags?.length) startArgs.push('--tag', ...options.tags);
  return home.rallyCli(startArgs, {
    timeoutMs: options.timeoutMs,
    stream: true,
    progress: new RallyProgress(
      home.log,
      options.progressIntervalMs !== undefined ? { intervalMs: options.progressIntervalMs } : {},
    ),
  });
}

/** Rally refused the task file or does not know the env: the caller's input, not a run. */
function throwIfRefused(started: ProcessResult, taskFile: string, deploymentName: string): void {
  const exitCode = started.exitCode;
  if (exitCode !== null && TASK_INPUT_ERRORS[exitCode] && !started.timedOut) {
    throw new RallyTaskFileError(
      `Rally task file ${taskFile} is invalid (${TASK_INPUT_ERRORS[exitCode]}, exit ${exitCode}):\n${rallyErrorText(started.stdout)}`,
    );
  }
  if (exitCode === RECORD_NOT_FOUND && /not found in table envs/.test(started.stdout)) {
    throw new RallyDeploymentError(
      `Rally deployment "${deploymentName}" does not exist: ${rallyErrorText(started.stdout, 3)}`,
    );
  }
}

/** Why `rally task start` itself counts as crashed (a timeout, a kill, an exit other than 0 or 2). */
function startFailureReasons(started: ProcessResult, timeoutMs: number | undefined): string[] {
  const exitCode = started.exitCode;
  if (started.timedOut) return [`rally task start timed out after ${timeoutMs} ms`];
  if (exitCode !== 0 && exitCode !== RALLY_SLA_FAILED) {
    return [
      `rally task start ${exitCode === null ? `was killed by ${started.signal}` : `exited with code ${exitCode}`}:\n${rallyErrorText(started.stdout + started.stderr, 15)}`,
    ];
  }
  return [];
}

interface RallyReports {
  report?: RallyReport;
  reportFile?: string;
  htmlFile?: string;
  junitFile?: string;
}

/** The JSON report (and from it JUnit XML) and, unless turned off, the HTML report of the task. */
async function writeReports(
  home: RallyHome,
  taskId: string,
  withHtml: boolean,
): Promise<{ reports: RallyReports; reasons: string[] } | 'cancelled'> {
  const jsonOut = path.join(home.workDir, 'report.json');
  const htmlOut = path.join(home.workDir, 'report.html');
  const [json, html] = await Promise.all([
    home.rallyCli(['task', 'report', '--uuid', taskId, '--json', '--out', jsonOut]),
    withHtml ? home.rallyCli(['task', 'report', '--uuid', taskId, '--out', htmlOut]) : undefined,
  ]);
  if (json.cancelled || html?.cancelled) return 'cancelled';
  const reports: RallyReports = {};
  const reasons: string[] = [];
  if (json.exitCode === 0 && existsSync(jsonOut)) {
    reports.reportFile = jsonOut;
    reports.report = readOwnReport(jsonOut);
    reports.junitFile = path.join(home.workDir, 'junit.xml');
    writeFileSync(reports.junitFile, rallyReportToJUnit(reports.report));
  } else {
    reasons.push(
      `rally task report --json exited with code ${json.exitCode}:\n${tail(json.stdout + json.stderr, 10)}`,
    );
  }
  if (html && html.exitCode === 0 && existsSync(htmlOut)) reports.htmlFile = htmlOut;
  else if (html) {
    home.log(
      `warning: the HTML report could not be written (rally task report exited with code ${html.exitCode})`,
    );
  }
  return { reports, reasons };
}

/** Where the report and Rally's exit code disagree, or a task did not finish. */
function reportReasons(report: RallyReport, exitCode: number | null, noOtherReason: boolean): string[] {
  const reasons = report.tasks
    .filter((t) => t.status !== 'finished')
    .map((task) => `Rally task ${task.uuid} ended as "${task.status}"`);
  const passed = reportPassed(report);
  if (exitCode === 0 && !passed && noOtherReason && reasons.length === 0) {
    reasons.push(
      'rally task start exited with code 0 but the report does not pass (no workload, or a workload failed its SLA)',
    );
  }
  if (exitCode === RALLY_SLA_FAILED && passed) {
    reasons.push('rally task start exited with code 2 but the report shows every SLA passed');
  }
  return reasons;
}

function outcome(
  started: ProcessResult,
  taskId: string | undefined,
  reports: RallyReports,
  reasons: string[],
): RunOutcome {
  const { exitCode } = started;
  const { report } = reports;
  const crashed = reasons.length > 0;
  return {
    exitCode,
    ...(taskId ? { taskId } : {}),
    ...(report ? { report } : {}),
    ...(reports.reportFile ? { reportFile: reports.reportFile } : {}),
    ...(reports.htmlFile ? { htmlFile: reports.htmlFile } : {}),
    ...(reports.junitFile ? { junitFile: reports.junitFile } : {}),
    slaPassed: !crashed && exitCode === 0 && report !== undefined && reportPassed(report),
    crashed,
    ...(crashed ? { crashReason: reasons.join('\n') } : {}),
    cancelled: false,
    timedOut: started.timedOut,
  };
}

/** Rally without rally-openstack knows no OpenStack platform: say what to install. */
export function missingPlatformHint(output: string): string {
  const plugin = /no Platform plugin [`'"]?([\w@.-]+)/i.exec(output)?.[1];
  return plugin
    ? `\nRally has no platform plugin "${plugin}": OpenStack scenarios need rally-openstack (pip install rally-openstack, or the Debian package python3-rally-openstack) next to Rally.`
    : '';
}
