/**
 * Parsers of what Helm 3 prints. JSON shapes (from helm's own sources): `helm status -o json` and
 * `helm upgrade -o json` print the release object (`name`, `namespace`, `version`, `info` with
 * `status`/`description`/`first_deployed`/`last_deployed`/`notes`, `chart.metadata`, `hooks` with
 * `events` and `last_run`); `helm list -o json` prints rows whose `revision` is a string and whose
 * `updated` is Go's time.String(); `helm history -o json` prints rows with a numeric `revision`
 * and an RFC 3339 `updated`. `helm test` prints the status text with one `TEST SUITE:` block per
 * test hook and, with --logs, `POD LOGS: <pod>` sections.
 */
import {
  HelmOutputError,
  RELEASE_STATUSES,
  type HistoryEntry,
  type ReleaseDetail,
  type ReleaseStatus,
  type ReleaseSummary,
  type TestHookRun,
} from './types.js';

type Json = Record<string, unknown>;

function parseJson(text: string, what: string): unknown {
  const trimmed = text.trim();
  // Helm may print warnings (e.g. about a group-readable kubeconfig) on stdout before the JSON.
  const start = trimmed.search(/^[[{]/m);
  if (start < 0) throw new HelmOutputError(`${what}: expected JSON from helm, got ${abbreviate(trimmed)}`);
  try {
    return JSON.parse(trimmed.slice(start));
  } catch (err) {
    throw new HelmOutputError(
      `${what}: helm printed invalid JSON (${(err as Error).message}): ${abbreviate(trimmed)}`,
    );
  }
}

function abbreviate(text: string): string {
  return JSON.stringify(text.length > 120 ? `${text.slice(0, 117)}...` : text);
}

function isObject(value: unknown): value is Json {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

function str(value: unknown): string | undefined {
  return typeof value === 'string' && value !== '' ? value : undefined;
}

export function toStatus(value: unknown, what: string): ReleaseStatus {
  if (typeof value === 'string' && (RELEASE_STATUSES as readonly string[]).includes(value))
    return value as ReleaseStatus;
  throw new HelmOutputError(`${what}: unknown release status ${JSON.stringify(value)}`);
}

/**
 * Go's time.String() (`2026-11-25 02:14:07.123456789 +0000 UTC`, sometimes with a monotonic
 * `m=+0.1` suffix) or RFC 3339 → ISO 8601. Anything else is returned unchanged.
 */
export function normaliseHelmTime(value: unknown): string | undefined {
  const text = str(value);
  if (!text || text === '-') return undefined;
  const go = /^(\d{4}-\d{2}-\d{2}) (\d{2}:\d{2}:\d{2})(\.\d+)? ([+-])(\d{2})(\d{2})\b/.exec(text);
  if (go) {
    const [, date, time, fraction, sign, hh, mm] = go;
    const iso = `${date}T${time}${fraction ? fraction.slice(0, 4) : ''}${sign}${hh}:${mm}`;
    return new Date(iso).toISOString();
  }
  const parsed = Date.parse(text);
  return Number.isNaN(parsed) ? text : new Date(parsed).toISOString();
}

function testHooks(hooks: unknown): TestHookRun[] {
  if (!Array.isArray(hooks)) return [];
  const runs: TestHookRun[] = [];
  for (const hook of hooks) {
    if (!isObject(hook)) continue;
    const events = Array.isArray(hook.events) ? hook.events : [];
    if (!events.includes('test') && !events.includes('test-success')) continue;
    const lastRun = isObject(hook.last_run) ? hook.last_run : {};
    const phase = str(lastRun.phase);
    runs.push({
      name: String(hook.name ?? ''),
      phase: phase === 'Running' || phase === 'Succeeded' || phase === 'Failed' ? phase : 'Unknown',
      startedAt: normaliseHelmTime(lastRun.started_at),
      completedAt: normaliseHelmTime(lastRun.completed_at),
    });
  }
  return runs;
}

/** `helm status -o json` / `helm upgrade --install -o json`. */
export function parseReleaseJson(text: string, what = 'helm status'): ReleaseDetail {
  const data = parseJson(text, what);
  if (!isObject(data) || typeof data.name !== 'string' || !isObject(data.info)) {
    throw new HelmOutputError(
      `${what}: expected a release object with name and info, got ${abbreviate(text.trim())}`,
    );
  }
  const info = data.info;
  const metadata = isObject(data.chart) && isObject(data.chart.metadata) ? data.chart.metadata : {};
  return {
    name: data.name,
    namespace: String(data.namespace ?? ''),
    revision: typeof data.version === 'number' ? data.version : 0,
    status: toStatus(info.status, `${what} ${data.name}`),
    description: String(info.description ?? ''),
    firstDeployed: normaliseHelmTime(info.first_deployed),
    lastDeployed: normaliseHelmTime(info.last_deployed),
    chartName: str(metadata.name),
    chartVersion: str(metadata.version),
    appVersion: str(metadata.appVersion),
    notes: str(info.notes),
    ...(data.apply_method === 'csa' || data.apply_method === 'ssa' ? { applyMethod: data.apply_method } : {}),
    tests: testHooks(data.hooks),
  };
}

/** `helm list -o json`. */
export function parseListJson(text: string): ReleaseSummary[] {
  const data = parseJson(text, 'helm list');
  if (!Array.isArray(data))
    throw new HelmOutputError(`helm list: expected a JSON list, got ${abbreviate(text.trim())}`);
  return data.map((row, i) => {
    if (!isObject(row) || typeof row.name !== 'string')
      throw new HelmOutputError(`helm list: row ${i + 1} has no release name`);
    const revision = Number(row.revision);
    if (!Number.isInteger(revision))
      throw new HelmOutputError(
        `helm list: release ${row.name} has revision ${JSON.stringify(row.revision)}`,
      );
    return {
      name: row.name,
      namespace: String(row.namespace ?? ''),
      revision,
      updated: normaliseHelmTime(row.updated),
      status: toStatus(row.status, `helm list ${row.name}`),
      chart: String(row.chart ?? ''),
      appVersion: String(row.app_version ?? ''),
    };
  });
}

/** `helm history -o json`. */
export function parseHistoryJson(text: string): HistoryEntry[] {
  const data = parseJson(text, 'helm history');
  if (!Array.isArray(data))
    throw new HelmOutputError(`helm history: expected a JSON list, got ${abbreviate(text.trim())}`);
  return data
    .map((row, i) => {
      if (!isObject(row)) throw new HelmOutputError(`helm history: row ${i + 1} is not an object`);
      const revision = Number(row.revision);
      if (!Number.isInteger(revision))
        throw new HelmOutputError(`helm history: row ${i + 1} has revision ${JSON.stringify(row.revision)}`);
      return {
        revision,
        updated: normaliseHelmTime(row.updated),
        status: toStatus(row.status, `helm history revision ${revision}`),
        chart: String(row.chart ?? ''),
        appVersion: String(row.app_version ?? ''),
        description: String(row.description ?? ''),
      };
    })
    .sort((a, b) => a.revision - b.revision);
}

/** Helm prints these times with Go's ANSIC layout (`Mon Jan  2 15:04:05 2006`), in local time. */
function ansicTime(text: string): string | undefined {
  const value = text.trim();
  if (!value) return undefined;
  const parsed = Date.parse(value.replace(/\s+/g, ' '));
  return Number.isNaN(parsed) ? value : new Date(parsed).toISOString();
}

/** The `TEST SUITE:` blocks and `POD LOGS:` sections of `helm test` output. */
export function parseTestOutput(stdout: string): { suites: TestHookRun[]; logs?: string } {
  const suites: TestHookRun[] = [];
  let current: TestHookRun | undefined;
  const lines = stdout.split(/\r?\n/);
  let logsStart = -1;
  for (const [index, line] of lines.entries()) {
    if (line.startsWith('POD LOGS:')) {
      logsStart = index;
      break;
    }
    const field = /^(TEST SUITE|Last Started|Last Completed|Phase):\s*(.*)$/.exec(line);
    if (!field) {
      if (/^NOTES:/.test(line)) current = undefined;
      continue;
    }
    const [, key, value] = field;
    if (key === 'TEST SUITE') {
      current = { name: value.trim(), phase: 'Unknown' };
      suites.push(current);
    } else if (current && key === 'Last Started') current.startedAt = ansicTime(value);
    else if (current && key === 'Last Completed') current.completedAt = ansicTime(value);
    else if (current && key === 'Phase') {
      const phase = value.trim();
      current.phase = phase === 'Running' || phase === 'Succeeded' || phase === 'Failed' ? phase : 'Unknown';
    }
  }
  const logs = logsStart >= 0 ? lines.slice(logsStart).join('\n').trimEnd() : undefined;
  return { suites, logs };
}

/** True when helm's error output says the release does not exist. */
export function isReleaseNotFound(stderr: string): boolean {
  return /release: not found|release ".*" not found|has no deployed releases/i.test(stderr);
}

/** True when helm gave up waiting (its own --timeout). */
export function isHelmTimeout(stderr: string): boolean {
  return /timed out waiting for the condition|context deadline exceeded/i.test(stderr);
}
