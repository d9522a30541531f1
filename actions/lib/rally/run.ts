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

export async function runRallyTask(options: RunRallyTaskOptions): Promise<RallyRun> {
  const startedAt = new Date().toISOString();
  const taskFile = path.resolve(options.taskFile);
  if (!existsSync(taskFile) || !statSync(taskFile).isFile()) {
    throw new RallyTaskFileError(`Rally task file ${options.taskFile} does not exist`);
  }
  const workDir = path.resolve(options.workDir);
  mkdirSync(workDir, { recursive: true });
  const confFile = path.join(workDir, 'rally.conf');
  writeFileSync(confFile, rallyConf(workDir, options.database));
  const rally = options.rallyBinary ?? 'rally';
  const log = options.log ?? (() => undefined);
  const env = options.env ?? process.env;
  const rallyCli = (
    args: string[],
    extra: { timeoutMs?: number; stream?: boolean; progress?: RallyProgress } = {},
  ): Promise<ProcessResult> => {
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
    return runProcess(rally, ['--config-file', confFile, ...args], {
      cwd: workDir,
      env,
      signal: options.signal,
      timeoutMs: extra.timeoutMs,
      log,
      ...(extra.stream ? { onStdout: emit, onStderr: emit } : {}),
    }).finally(() => {
      if (pending) logLine(pending);
      extra.progress?.finish();
    });
  };
  const finish = (run: Omit<RallyRun, 'startedAt' | 'finishedAt' | 'workDir' | 'logFile'>): RallyRun => ({
    ...run,
    startedAt,
    finishedAt: new Date().toISOString(),
    workDir,
    logFile: path.join(workDir, 'rally.log'),
  });
  const cancelledRun = (exitCode: number | null, taskId?: string) =>
    finish({
      exitCode,
      ...(taskId ? { taskId } : {}),
      slaPassed: false,
      crashed: false,
      cancelled: true,
      timedOut: false,
    });

  if (!options.database) {
    const created = await rallyCli(['db', 'create']);
    if (created.cancelled) return cancelledRun(null);
    if (created.exitCode !== 0) {
      throw new RallySetupError(
        `Could not create the Rally database in ${workDir}: rally db create exited with ${created.exitCode}:\n${tail(created.stdout + created.stderr, 15)}`,
      );
    }
  }

  const deploymentName = options.deployment?.name ?? 'taco';
  const createEnv =
    !options.database || options.deployment?.spec !== undefined || options.deployment?.fromSysEnv;
  if (createEnv) {
    const args = ['env', 'create', '--name', deploymentName, '--no-use'];
    if (options.deployment?.fromSysEnv) {
      args.push('--from-sysenv');
    } else {
      const specFile = path.join(workDir, 'env-spec.json');
      writeFileSync(specFile, JSON.stringify(options.deployment?.spec ?? {}), { mode: 0o600 });
      args.push('--spec', specFile);
    }
    const created = await rallyCli(args);
    if (created.cancelled) return cancelledRun(null);
    if (created.exitCode !== 0) {
      throw new RallyDeploymentError(
        `Rally could not create the deployment "${deploymentName}" (exit ${created.exitCode}):\n${rallyErrorText(created.stdout)}${missingPlatformHint(created.stdout + created.stderr)}`,
      );
    }
  }

  const argsFile = path.join(workDir, 'task-args.json');
  writeFileSync(argsFile, JSON.stringify(options.taskArgs ?? {}), { mode: 0o600 });
  const startArgs = [
    'task',
    'start',
    '--task',
    taskFile,
    '--task-args-file',
    argsFile,
    '--deployment',
    deploymentName,
    '--no-use',
  ];
  if (options.tags?.length) startArgs.push('--tag', ...options.tags);
  const started = await rallyCli(startArgs, {
    timeoutMs: options.timeoutMs,
    stream: true,
    progress: new RallyProgress(
      log,
      options.progressIntervalMs !== undefined ? { intervalMs: options.progressIntervalMs } : {},
    ),
  });
  const taskId = taskIdFromOutput(started.stdout);
  if (started.cancelled) return cancelledRun(started.exitCode, taskId);

  const exitCode = started.exitCode;
  if (exitCode !== null && TASK_INPUT_ERRORS[exitCode] && !started.timedOut) {
    throw new RallyTaskFileError(
      `Rally task file ${options.taskFile} is invalid (${TASK_INPUT_ERRORS[exitCode]}, exit ${exitCode}):\n${rallyErrorText(started.stdout)}`,
    );
  }
  if (exitCode === RECORD_NOT_FOUND && /not found in table envs/.test(started.stdout)) {
    throw new RallyDeploymentError(
      `Rally deployment "${deploymentName}" does not exist: ${rallyErrorText(started.stdout, 3)}`,
    );
  }

  const reasons: string[] = [];
  if (started.timedOut) reasons.push(`rally task start timed out after ${options.timeoutMs} ms`);
  else if (exitCode !== 0 && exitCode !== RALLY_SLA_FAILED) {
    reasons.push(
      `rally task start ${exitCode === null ? `was killed by ${started.signal}` : `exited with code ${exitCode}`}:\n${rallyErrorText(started.stdout + started.stderr, 15)}`,
    );
  }

  let report: RallyReport | undefined;
  let reportFile: string | undefined;
  let htmlFile: string | undefined;
  let junitFile: string | undefined;
  if (taskId) {
    const jsonOut = path.join(workDir, 'report.json');
    const htmlOut = path.join(workDir, 'report.html');
    const [json, html] = await Promise.all([
      rallyCli(['task', 'report', '--uuid', taskId, '--json', '--out', jsonOut]),
      options.html === false ? undefined : rallyCli(['task', 'report', '--uuid', taskId, '--out', htmlOut]),
    ]);
    if (json.cancelled || html?.cancelled) return cancelledRun(exitCode, taskId);
    if (json.exitCode === 0 && existsSync(jsonOut)) {
      reportFile = jsonOut;
      report = readOwnReport(jsonOut);
      junitFile = path.join(workDir, 'junit.xml');
      writeFileSync(junitFile, rallyReportToJUnit(report));
    } else {
      reasons.push(
        `rally task report --json exited with code ${json.exitCode}:\n${tail(json.stdout + json.stderr, 10)}`,
      );
    }
    if (html && html.exitCode === 0 && existsSync(htmlOut)) htmlFile = htmlOut;
    else if (html)
      log(
        `warning: the HTML report could not be written (rally task report exited with code ${html.exitCode})`,
      );
  } else if (reasons.length === 0) {
    reasons.push(
      `rally task start exited with code ${exitCode} without naming a task:\n${rallyErrorText(started.stdout + started.stderr, 15)}`,
    );
  }

  if (report) {
    for (const task of report.tasks.filter((t) => t.status !== 'finished'))
      reasons.push(`Rally task ${task.uuid} ended as "${task.status}"`);
    const passed = reportPassed(report);
    if (exitCode === 0 && !passed && reasons.length === 0) {
      reasons.push(
        'rally task start exited with code 0 but the report does not pass (no workload, or a workload failed its SLA)',
      );
    }
    if (exitCode === RALLY_SLA_FAILED && passed) {
      reasons.push('rally task start exited with code 2 but the report shows every SLA passed');
    }
  }
  const crashed = reasons.length > 0;
  return finish({
    exitCode,
    ...(taskId ? { taskId } : {}),
    ...(report ? { report } : {}),
    ...(reportFile ? { reportFile } : {}),
    ...(htmlFile ? { htmlFile } : {}),
    ...(junitFile ? { junitFile } : {}),
    slaPassed: !crashed && exitCode === 0 && report !== undefined && reportPassed(report),
    crashed,
    ...(crashed ? { crashReason: reasons.join('\n') } : {}),
    cancelled: false,
    timedOut: started.timedOut,
  });
}

/** Rally without rally-openstack knows no OpenStack platform: say what to install. */
export function missingPlatformHint(output: string): string {
  const plugin = /no Platform plugin [`'"]?([\w@.-]+)/i.exec(output)?.[1];
  return plugin
    ? `\nRally has no platform plugin "${plugin}": OpenStack scenarios need rally-openstack (pip install rally-openstack, or the Debian package python3-rally-openstack) next to Rally.`
    : '';
}
