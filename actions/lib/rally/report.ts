/**
 * The model of a Rally task report as `rally task report --json` writes it (format 1.x; Rally 3.3
 * writes 1.2, see rally/plugins/task/exporters/json_exporter.py). Parsed strictly where the format
 * is fixed (envelope, task/subtask/workload keys) and leniently where Rally itself varies: the
 * statistics table holds "n/a" for workloads without results, an iteration's `error` is `[]` when it
 * passed, hooks and contexts results may be absent in older revisions.
 */
export interface RallyReport {
  /** The file it was read from, when known (used in messages). */
  file?: string;
  formatVersion: string;
  rallyVersion?: string;
  generatedAt?: string;
  tasks: RallyTask[];
}

export type RallyTaskStatus =
  | 'init'
  | 'validating'
  | 'validated'
  | 'validation_failed'
  | 'aborting'
  | 'soft_aborting'
  | 'aborted'
  | 'crashed'
  | 'running'
  | 'finished'
  | string;

export interface RallyTask {
  uuid: string;
  title: string;
  description: string;
  status: RallyTaskStatus;
  tags: string[];
  envName?: string;
  envUuid?: string;
  createdAt?: string;
  updatedAt?: string;
  /** Rally's own verdict for the whole task: every workload passed its SLA. */
  passSla: boolean;
  subtasks: RallySubtask[];
}

export interface RallySubtask {
  uuid: string;
  title: string;
  description: string;
  status: string;
  workloads: RallyWorkload[];
}

export interface RallyWorkload {
  uuid: string;
  /** `<subtask title>` — where the workload sits in the task file. */
  subtaskTitle: string;
  /** The scenario plugin, e.g. `Dummy.dummy`. */
  scenario: string;
  args: Record<string, unknown>;
  description: string;
  /** Index of the workload in its task (Rally's `position`). */
  position: number;
  runner: { type: string; config: Record<string, unknown> };
  contexts: Record<string, unknown>;
  /** The SLA configuration as given in the task. */
  slaConfig: Record<string, unknown>;
  /** Epoch seconds the load started (null when it never ran). */
  startTime: number | null;
  loadDurationSeconds: number;
  fullDurationSeconds: number;
  totalIterations: number;
  failedIterations: number;
  iterations: RallyIteration[];
  durations: DurationStats;
  atomicActions: AtomicActionStats[];
  sla: SlaCriterion[];
  passSla: boolean;
  hooks: RallyHook[];
}

export interface RallyIteration {
  /** 0-based, in the order Rally recorded them. */
  index: number;
  /** Epoch seconds the iteration started. */
  timestamp: number;
  durationSeconds: number;
  idleDurationSeconds: number;
  error?: IterationError;
  atomicActions: AtomicAction[];
}

export interface IterationError {
  /** Exception class, e.g. `KeyError`. */
  type: string;
  message: string;
  traceback: string;
}

export interface AtomicAction {
  name: string;
  startedAt: number;
  finishedAt: number;
  failed: boolean;
  children: AtomicAction[];
}

/** Seconds. `null` when there was nothing to measure (Rally prints "n/a"). */
export interface DurationStats {
  count: number;
  min: number | null;
  median: number | null;
  p90: number | null;
  p95: number | null;
  max: number | null;
  mean: number | null;
  /** Successful iterations in percent; null when there were none. */
  successPercent: number | null;
}

export interface AtomicActionStats extends DurationStats {
  /** Display name, with Rally's `(xN)` suffix when it ran N times per iteration. */
  name: string;
  /** 0 for top-level actions, 1 for their children, ... */
  depth: number;
}

export interface SlaCriterion {
  criterion: string;
  success: boolean;
  detail: string;
}

export interface RallyHook {
  description: string;
  action: string;
  trigger: string;
  results: unknown[];
}

/**
 * A document that is not a Rally JSON report. Whose fault that is depends on where it came from:
 * Rally's own output (the run wraps it as an ExternalError) or a file the caller named (a UserError).
 */
export class RallyReportError extends Error {
  override readonly name = 'RallyReportError';
}

type Json = Record<string, unknown>;

class Reader {
  constructor(private readonly file: string | undefined) {}

  fail(path: string, expected: string, value: unknown): never {
    const where = this.file ? `${this.file}: ` : '';
    throw new RallyReportError(
      `${where}not a valid Rally JSON report: ${path || 'document'}: expected ${expected}, got ${describe(value)}`,
    );
  }
  object(value: unknown, path: string): Json {
    if (typeof value !== 'object' || value === null || Array.isArray(value))
      this.fail(path, 'an object', value);
    return value as Json;
  }
  array(value: unknown, path: string): unknown[] {
    if (!Array.isArray(value)) this.fail(path, 'a list', value);
    return value;
  }
  string(value: unknown, path: string): string {
    if (typeof value !== 'string') this.fail(path, 'a string', value);
    return value;
  }
  optionalString(value: unknown, path: string): string | undefined {
    return value === undefined || value === null ? undefined : this.string(value, path);
  }
  number(value: unknown, path: string): number {
    if (typeof value !== 'number' || !Number.isFinite(value)) this.fail(path, 'a number', value);
    return value;
  }
  /** Rally writes null for durations of workloads that never ran. */
  numberOrNull(value: unknown, path: string): number | null {
    return value === null || value === undefined ? null : this.number(value, path);
  }
  boolean(value: unknown, path: string): boolean {
    if (typeof value !== 'boolean') this.fail(path, 'true or false', value);
    return value;
  }
  /** A one-key mapping `{name: config}` as Rally writes runner and scenario. */
  single(value: unknown, path: string): [string, Json] {
    const obj = this.object(value, path);
    const keys = Object.keys(obj);
    if (keys.length !== 1) this.fail(path, 'a mapping with exactly one key', value);
    const inner = obj[keys[0]];
    return [keys[0], inner === null || inner === undefined ? {} : this.object(inner, `${path}.${keys[0]}`)];
  }
}

function describe(value: unknown): string {
  if (value === undefined) return 'nothing (the key is missing)';
  const text = JSON.stringify(value) ?? String(value);
  return text.length > 60 ? `${text.slice(0, 57)}...` : text;
}

/**
 * Reads the JSON of `rally task report --json` (format 1.0–1.2, one or more tasks). `file` names
 * the report in errors. Throws RallyReportError naming the path of the first bad value.
 */
export function parseRallyReport(json: unknown, file?: string): RallyReport {
  const r = new Reader(file);
  if (Array.isArray(json)) {
    const where = file ? `${file}: ` : '';
    throw new RallyReportError(
      `${where}this looks like the old \`rally task results\` output (a list of workloads); ` +
        'give the report of `rally task report --json` (format 1.x) instead',
    );
  }
  const doc = r.object(json, '');
  const info = r.object(doc.info, 'info');
  const formatVersion = r.string(info.format_version, 'info.format_version');
  if (!/^1\.\d+$/.test(formatVersion))
    r.fail('info.format_version', 'a Rally JSON report format 1.x', formatVersion);
  const tasks = r.array(doc.tasks, 'tasks').map((task, i) => parseTask(r, task, `tasks[${i}]`));
  return {
    ...(file ? { file } : {}),
    formatVersion,
    rallyVersion: r.optionalString(info.rally_version, 'info.rally_version'),
    generatedAt: r.optionalString(info.generated_at, 'info.generated_at'),
    tasks,
  };
}

function parseTask(r: Reader, value: unknown, path: string): RallyTask {
  const t = r.object(value, path);
  const envName = r.optionalString(t.env_name, `${path}.env_name`);
  const envUuid = r.optionalString(t.env_uuid, `${path}.env_uuid`);
  return {
    uuid: r.string(t.uuid, `${path}.uuid`),
    title: r.optionalString(t.title, `${path}.title`) ?? '',
    description: r.optionalString(t.description, `${path}.description`) ?? '',
    status: r.string(t.status, `${path}.status`),
    tags:
      t.tags === undefined || t.tags === null
        ? []
        : r.array(t.tags, `${path}.tags`).map((tag, i) => r.string(tag, `${path}.tags[${i}]`)),
    // Rally writes "n\a" when the task predates environments.
    ...(envName && envName !== 'n\\a' ? { envName } : {}),
    ...(envUuid && envUuid !== 'n\\a' ? { envUuid } : {}),
    createdAt: r.optionalString(t.created_at, `${path}.created_at`),
    updatedAt: r.optionalString(t.updated_at, `${path}.updated_at`),
    passSla: r.boolean(t.pass_sla, `${path}.pass_sla`),
    subtasks: r
      .array(t.subtasks, `${path}.subtasks`)
      .map((s, i) => parseSubtask(r, s, `${path}.subtasks[${i}]`)),
  };
}

function parseSubtask(r: Reader, value: unknown, path: string): RallySubtask {
  const s = r.object(value, path);
  const title = r.optionalString(s.title, `${path}.title`) ?? '';
  return {
    uuid: r.string(s.uuid, `${path}.uuid`),
    title,
    description: r.optionalString(s.description, `${path}.description`) ?? '',
    status: r.string(s.status, `${path}.status`),
    workloads: r
      .array(s.workloads, `${path}.workloads`)
      .map((w, i) => parseWorkload(r, w, `${path}.workloads[${i}]`, title)),
  };
}

function parseWorkload(r: Reader, value: unknown, path: string, subtaskTitle: string): RallyWorkload {
  const w = r.object(value, path);
  const [scenario, args] = r.single(w.scenario, `${path}.scenario`);
  const [runnerType, runnerConfig] = r.single(w.runner, `${path}.runner`);
  const iterations = r
    .array(w.data, `${path}.data`)
    .map((it, i) => parseIteration(r, it, `${path}.data[${i}]`, i));
  const statistics =
    w.statistics === undefined || w.statistics === null ? {} : r.object(w.statistics, `${path}.statistics`);
  const durationsTable = readDurationsTable(r, statistics, `${path}.statistics`);
  const slaResults =
    w.sla_results === undefined || w.sla_results === null
      ? {}
      : r.object(w.sla_results, `${path}.sla_results`);
  const sla = (slaResults.sla === undefined ? [] : r.array(slaResults.sla, `${path}.sla_results.sla`)).map(
    (c, i) => {
      const p = `${path}.sla_results.sla[${i}]`;
      const criterion = r.object(c, p);
      return {
        criterion: r.string(criterion.criterion, `${p}.criterion`),
        success: r.boolean(criterion.success, `${p}.success`),
        detail: r.optionalString(criterion.detail, `${p}.detail`) ?? '',
      };
    },
  );
  return {
    uuid: r.string(w.uuid, `${path}.uuid`),
    subtaskTitle,
    scenario,
    args,
    description: r.optionalString(w.description, `${path}.description`) ?? '',
    position: w.position === undefined ? 0 : r.number(w.position, `${path}.position`),
    runner: { type: runnerType, config: runnerConfig },
    contexts: w.contexts === undefined || w.contexts === null ? {} : r.object(w.contexts, `${path}.contexts`),
    slaConfig: w.sla === undefined || w.sla === null ? {} : r.object(w.sla, `${path}.sla`),
    startTime: r.numberOrNull(w.start_time, `${path}.start_time`),
    loadDurationSeconds: r.numberOrNull(w.load_duration, `${path}.load_duration`) ?? 0,
    fullDurationSeconds: r.numberOrNull(w.full_duration, `${path}.full_duration`) ?? 0,
    totalIterations:
      w.total_iteration_count === undefined
        ? iterations.length
        : r.number(w.total_iteration_count, `${path}.total_iteration_count`),
    failedIterations:
      w.failed_iteration_count === undefined
        ? iterations.filter((it) => it.error).length
        : r.number(w.failed_iteration_count, `${path}.failed_iteration_count`),
    iterations,
    durations:
      iterations.length > 0
        ? durationStats(iterations.map((it) => ({ value: it.durationSeconds, ok: !it.error })))
        : (durationsTable ?? emptyStats()),
    atomicActions:
      readAtomicsTable(r, statistics, `${path}.statistics`) ?? atomicStatsFromIterations(iterations),
    sla,
    passSla: r.boolean(w.pass_sla, `${path}.pass_sla`),
    hooks: (w.hooks === undefined || w.hooks === null ? [] : r.array(w.hooks, `${path}.hooks`)).map((h, i) =>
      parseHook(r, h, `${path}.hooks[${i}]`),
    ),
  };
}

function parseIteration(r: Reader, value: unknown, path: string, index: number): RallyIteration {
  const it = r.object(value, path);
  const error = parseError(r, it.error, `${path}.error`);
  return {
    index,
    timestamp: r.number(it.timestamp, `${path}.timestamp`),
    durationSeconds: r.number(it.duration, `${path}.duration`),
    idleDurationSeconds: r.numberOrNull(it.idle_duration, `${path}.idle_duration`) ?? 0,
    ...(error ? { error } : {}),
    atomicActions: parseAtomicActions(
      r,
      it.atomic_actions,
      `${path}.atomic_actions`,
      r.number(it.timestamp, `${path}.timestamp`),
    ),
  };
}

/** Rally stores an iteration's error as `[type, message, traceback]`; `[]` means it passed. */
function parseError(r: Reader, value: unknown, path: string): IterationError | undefined {
  if (value === undefined || value === null) return undefined;
  const parts = r.array(value, path);
  if (parts.length === 0) return undefined;
  const [type, message, traceback] = parts.map((part, i) =>
    part === null || part === undefined ? '' : r.string(part, `${path}[${i}]`),
  );
  return { type: type ?? '', message: message ?? '', traceback: traceback ?? '' };
}

/**
 * Atomic actions: a list of `{name, started_at, finished_at, failed?, children}` trees (Rally ≥ 0.10,
 * the only shape format 1.x carries); a legacy `{name: seconds}` mapping is accepted too.
 */
function parseAtomicActions(r: Reader, value: unknown, path: string, iterationStart: number): AtomicAction[] {
  if (value === undefined || value === null) return [];
  if (!Array.isArray(value)) {
    const legacy = r.object(value, path);
    let at = iterationStart;
    return Object.entries(legacy).map(([name, seconds]) => {
      const duration = r.numberOrNull(seconds, `${path}.${name}`) ?? 0;
      const action = { name, startedAt: at, finishedAt: at + duration, failed: false, children: [] };
      at += duration;
      return action;
    });
  }
  return value.map((a, i) => {
    const p = `${path}[${i}]`;
    const action = r.object(a, p);
    return {
      name: r.string(action.name, `${p}.name`),
      startedAt: r.number(action.started_at, `${p}.started_at`),
      // An action interrupted by the runner's timeout has no end.
      finishedAt:
        r.numberOrNull(action.finished_at, `${p}.finished_at`) ??
        r.number(action.started_at, `${p}.started_at`),
      failed: action.failed === undefined ? false : r.boolean(action.failed, `${p}.failed`),
      children: parseAtomicActions(r, action.children, `${p}.children`, iterationStart),
    };
  });
}

function parseHook(r: Reader, value: unknown, path: string): RallyHook {
  const h = r.object(value, path);
  const config = h.config === undefined ? {} : r.object(h.config, `${path}.config`);
  const key = (v: unknown, p: string) =>
    v === undefined || v === null ? '' : (Object.keys(r.object(v, p))[0] ?? '');
  return {
    description: r.optionalString(config.description, `${path}.config.description`) ?? '',
    action: key(config.action, `${path}.config.action`),
    trigger: key(config.trigger, `${path}.config.trigger`),
    results: h.results === undefined ? [] : r.array(h.results, `${path}.results`),
  };
}

/** A statistics cell: a number, or "n/a" when Rally had no data. */
function statCell(r: Reader, value: unknown, path: string): number | null {
  if (value === 'n/a' || value === null || value === undefined) return null;
  return r.number(value, path);
}

function statRow(r: Reader, value: unknown, path: string): DurationStats {
  const data = r.object(value, path);
  const success = data.success;
  let successPercent: number | null = null;
  if (typeof success === 'string' && success !== 'n/a') {
    const match = /^([\d.]+)%$/.exec(success);
    if (!match) r.fail(`${path}.success`, 'a percentage such as "100.0%"', success);
    successPercent = Number(match[1]);
  } else if (typeof success === 'number') successPercent = success;
  return {
    count: data.iteration_count === undefined ? 0 : r.number(data.iteration_count, `${path}.iteration_count`),
    min: statCell(r, data.min, `${path}.min`),
    median: statCell(r, data.median, `${path}.median`),
    p90: statCell(r, data['90%ile'], `${path}.90%ile`),
    p95: statCell(r, data['95%ile'], `${path}.95%ile`),
    max: statCell(r, data.max, `${path}.max`),
    mean: statCell(r, data.avg, `${path}.avg`),
    successPercent,
  };
}

function readDurationsTable(r: Reader, statistics: Json, path: string): DurationStats | undefined {
  const durations = statistics.durations;
  if (durations === undefined || durations === null) return undefined;
  const total = r.object(durations, `${path}.durations`).total;
  if (total === undefined || total === null) return undefined;
  // The `total` row holds duration + idle; its `duration` child is the scenario's own time.
  const row = r.object(total, `${path}.durations.total`);
  const children =
    row.children === undefined ? [] : r.array(row.children, `${path}.durations.total.children`);
  const own = children.findIndex(
    (c) => typeof c === 'object' && c !== null && (c as Json).name === 'duration',
  );
  if (own >= 0)
    return statRow(r, (children[own] as Json).data, `${path}.durations.total.children[${own}].data`);
  return statRow(r, row.data, `${path}.durations.total.data`);
}

function readAtomicsTable(r: Reader, statistics: Json, path: string): AtomicActionStats[] | undefined {
  const durations = statistics.durations;
  if (durations === undefined || durations === null) return undefined;
  const atomics = r.object(durations, `${path}.durations`).atomics;
  if (atomics === undefined || atomics === null) return undefined;
  const out: AtomicActionStats[] = [];
  const walk = (rows: unknown[], at: string, depth: number) =>
    rows.forEach((row, i) => {
      const p = `${at}[${i}]`;
      const obj = r.object(row, p);
      out.push({
        name: r.optionalString(obj.display_name, `${p}.display_name`) ?? r.string(obj.name, `${p}.name`),
        depth,
        ...statRow(r, obj.data, `${p}.data`),
      });
      if (obj.children !== undefined && obj.children !== null)
        walk(r.array(obj.children, `${p}.children`), `${p}.children`, depth + 1);
    });
  walk(r.array(atomics, `${path}.durations.atomics`), `${path}.durations.atomics`, 0);
  return out;
}

function emptyStats(): DurationStats {
  return {
    count: 0,
    min: null,
    median: null,
    p90: null,
    p95: null,
    max: null,
    mean: null,
    successPercent: null,
  };
}

/** Rally's percentile: linear interpolation between the closest ranks of the sorted points. */
export function percentile(sorted: readonly number[], fraction: number): number | null {
  if (sorted.length === 0) return null;
  const k = (sorted.length - 1) * fraction;
  const f = Math.floor(k);
  const c = Math.ceil(k);
  if (f === c) return sorted[k];
  return sorted[f] * (c - k) + sorted[c] * (k - f);
}

export function durationStats(points: readonly { value: number; ok: boolean }[]): DurationStats {
  if (points.length === 0) return emptyStats();
  const sorted = points.map((p) => p.value).sort((a, b) => a - b);
  return {
    count: points.length,
    min: sorted[0],
    median: percentile(sorted, 0.5),
    p90: percentile(sorted, 0.9),
    p95: percentile(sorted, 0.95),
    max: sorted[sorted.length - 1],
    mean: sorted.reduce((sum, v) => sum + v, 0) / sorted.length,
    successPercent: (points.filter((p) => p.ok).length / points.length) * 100,
  };
}

/** Top-level atomic actions merged per iteration by name (as Rally does), then aggregated. */
function atomicStatsFromIterations(iterations: readonly RallyIteration[]): AtomicActionStats[] {
  const byName = new Map<string, { value: number; ok: boolean }[]>();
  for (const iteration of iterations) {
    const merged = new Map<string, { value: number; ok: boolean }>();
    for (const action of iteration.atomicActions) {
      const seen = merged.get(action.name) ?? { value: 0, ok: true };
      merged.set(action.name, {
        value: seen.value + (action.finishedAt - action.startedAt),
        ok: seen.ok && !action.failed,
      });
    }
    for (const [name, point] of merged) byName.set(name, [...(byName.get(name) ?? []), point]);
  }
  return [...byName].map(([name, points]) => ({ name, depth: 0, ...durationStats(points) }));
}

/** All workloads of all tasks, in report order. */
export function allWorkloads(report: RallyReport): RallyWorkload[] {
  return report.tasks.flatMap((task) => task.subtasks.flatMap((subtask) => subtask.workloads));
}

/**
 * The verdict: true when every task finished and passed its SLA. An aborted or crashed task, a
 * report without any workload, or a workload that ran zero iterations has proven nothing and does
 * not pass (Rally itself passes an SLA over zero iterations).
 */
export function reportPassed(report: RallyReport): boolean {
  return (
    report.tasks.length > 0 &&
    report.tasks.every((task) => task.status === 'finished' && task.passSla) &&
    allWorkloads(report).length > 0 &&
    allWorkloads(report).every((w) => w.passSla && w.iterations.length > 0)
  );
}

/** Tasks Rally did not finish (crashed, validation failed, aborted, still running). */
export function unfinishedTasks(report: RallyReport): RallyTask[] {
  return report.tasks.filter((task) => task.status !== 'finished');
}

export interface ErrorGroup {
  type: string;
  message: string;
  /** The traceback of the first iteration that failed this way. */
  traceback: string;
  count: number;
  /** 0-based index of the first iteration with this error. */
  firstIteration: number;
}

/** A workload's iteration errors grouped by type and message, most frequent first. */
export function groupErrors(workload: RallyWorkload): ErrorGroup[] {
  const groups = new Map<string, ErrorGroup>();
  for (const iteration of workload.iterations) {
    if (!iteration.error) continue;
    const key = `${iteration.error.type}\u0000${iteration.error.message}`;
    const group = groups.get(key);
    if (group) group.count++;
    else groups.set(key, { ...iteration.error, count: 1, firstIteration: iteration.index });
  }
  return [...groups.values()].sort((a, b) => b.count - a.count || a.firstIteration - b.firstIteration);
}
