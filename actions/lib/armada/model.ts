/**
 * From Armada documents to the deployment they describe: the target manifest's chart groups in
 * order, each chart with its release name (`<release_prefix>-<release>`), source, dependencies,
 * final values and the wait/test/upgrade/protection settings with Armada's defaults applied.
 */
import path from 'node:path';
import type { ArmadaDocument } from './documents.js';
import { checkGitRef, checkUrl } from '../git/url.js';
import type { ManifestProblem } from './problems.js';

/** Armada's defaults (armada/const.py). */
export const DEFAULT_WAIT_TIMEOUT_S = 900;
export const DEFAULT_TEST_TIMEOUT_S = 300;
export const DEFAULT_DELETE_TIMEOUT_S = 300;

export interface ChartSource {
  type: 'git' | 'local' | 'tar';
  location: string;
  subpath: string;
  reference?: string;
  proxyServer?: string;
  authMethod?: string;
  /** Hex SHA-256 a `tar` source's archive must have (our extension; Armada ignores it). */
  sha256?: string;
}

export interface WaitResource {
  type: string;
  labels?: Record<string, string>;
  minReady?: number | string;
}

export interface HookAction {
  type: string;
  name?: string;
  labels?: Record<string, string>;
}

/** A chart packaged into another one's `charts/` directory, with its own dependencies inside it. */
export interface ChartDependency {
  document: string;
  chartName: string;
  source: ChartSource;
  dependencies: ChartDependency[];
}

export interface PlannedChart {
  /** metadata.name of the Chart document. */
  document: string;
  chartName: string;
  /** `release` as written in the document. */
  shortRelease: string;
  /** `<release_prefix>-<release>`: what helm sees. */
  release: string;
  namespace: string;
  source: ChartSource;
  /** Chart documents packaged into this chart as subcharts (helm-toolkit): not releases. */
  dependencies: ChartDependency[];
  values: Record<string, unknown>;
  wait: {
    timeoutS: number;
    /** Labels the chart's resources carry; defaults to `release_group: <release>` as OpenStack-Helm sets. */
    labels: Record<string, string>;
    resources: WaitResource[];
    native: boolean;
  };
  test: { enabled: boolean; timeoutS: number; cleanup: boolean };
  install: { noHooks: boolean };
  upgrade: { noHooks: boolean; force: boolean; preDelete: HookAction[] };
  deleteTimeoutS: number;
  protected?: { continueProcessing: boolean };
  file: string;
  line: number;
}

export interface PlannedGroup {
  name: string;
  description?: string;
  sequenced: boolean;
  charts: PlannedChart[];
}

export interface DeploymentModel {
  manifest: string;
  releasePrefix: string;
  groups: PlannedGroup[];
  /** Chart documents not in any group of the target manifest (and not a dependency): not deployed. */
  unused: string[];
}

type Json = Record<string, unknown>;

function object(value: unknown): Json {
  return typeof value === 'object' && value !== null && !Array.isArray(value) ? (value as Json) : {};
}

function stringMap(value: unknown): Record<string, string> | undefined {
  const map = object(value);
  return Object.keys(map).length ? (map as Record<string, string>) : undefined;
}

function source(data: Json): ChartSource {
  const s = object(data.source);
  return {
    type: s.type as ChartSource['type'],
    location: String(s.location),
    subpath: String(s.subpath ?? ''),
    reference: typeof s.reference === 'string' ? s.reference : undefined,
    proxyServer: typeof s.proxy_server === 'string' ? s.proxy_server : undefined,
    authMethod: typeof s.auth_method === 'string' ? s.auth_method : undefined,
    ...(typeof s.sha256 === 'string' ? { sha256: s.sha256.toLowerCase() } : {}),
  };
}

/** Where helm finds a local chart: location joined with subpath. */
export function localChartPath(src: ChartSource): string {
  return src.subpath ? path.join(src.location, src.subpath) : src.location;
}

export function chartSettings(
  doc: ArmadaDocument,
  prefix: string,
  groupTestDefault: boolean | undefined,
): Omit<PlannedChart, 'dependencies'> {
  const data = doc.data;
  const wait = object(data.wait);
  const test = data.test;
  const testObject = object(test);
  const upgrade = object(data.upgrade);
  const release = String(data.release);
  const fullRelease = `${prefix}-${release}`;
  const testEnabled =
    typeof test === 'boolean'
      ? test
      : typeof testObject.enabled === 'boolean'
        ? testObject.enabled
        : (groupTestDefault ?? true);
  const protectedValue = data.protected === undefined ? undefined : object(data.protected);
  return {
    document: doc.name,
    chartName: String(data.chart_name),
    shortRelease: release,
    release: fullRelease,
    namespace: String(data.namespace),
    source: source(data),
    values: object(data.values),
    wait: {
      timeoutS: Number(wait.timeout ?? data.timeout ?? DEFAULT_WAIT_TIMEOUT_S),
      labels: stringMap(wait.labels) ?? { release_group: fullRelease },
      resources: (Array.isArray(wait.resources) ? wait.resources : []).map((r: Json) => ({
        type: String(r.type),
        labels: stringMap(r.labels),
        minReady: r.min_ready as number | string | undefined,
      })),
      native: object(wait.native).enabled !== false,
    },
    test: {
      enabled: testEnabled,
      timeoutS: Number(testObject.timeout ?? DEFAULT_TEST_TIMEOUT_S),
      cleanup: typeof test === 'boolean' ? true : object(testObject.options).cleanup === true,
    },
    install: { noHooks: object(data.install).no_hooks === true },
    upgrade: {
      noHooks: upgrade.no_hooks === true,
      force: object(upgrade.options).force === true,
      preDelete: (Array.isArray(object(upgrade.pre).delete)
        ? (object(upgrade.pre).delete as Json[])
        : []
      ).map((a) => ({
        type: String(a.type),
        name: typeof a.name === 'string' ? a.name : undefined,
        labels: stringMap(a.labels),
      })),
    },
    deleteTimeoutS: Number(object(data.delete).timeout ?? DEFAULT_DELETE_TIMEOUT_S),
    protected: protectedValue
      ? { continueProcessing: protectedValue.continue_processing === true }
      : undefined,
    file: doc.file,
    line: doc.locate([]).line,
  };
}

/**
 * Resolves the target manifest (by name, or the only one) and builds the model. Reference errors
 * (a group or chart that does not exist, a dependency cycle) come back as located problems.
 */
export function buildModel(
  documents: ArmadaDocument[],
  targetManifest: string | undefined,
): { model?: DeploymentModel; problems: ManifestProblem[] } {
  const problems = duplicateNames(documents);
  const chosen = chooseManifest(documents, targetManifest);
  problems.push(...chosen.problems);
  const manifest = chosen.manifest;
  if (!manifest) return { problems };
  const chartDocs = documents.filter((d) => d.kind === 'Chart');
  for (const doc of chartDocs) problems.push(...collect((err) => checkGitSource(doc, err)));

  const charts = new Map(chartDocs.map((d) => [d.name, d]));
  const prefix = String(manifest.data.release_prefix);
  const planned = planGroups(manifest, charts, documents, prefix);
  problems.push(...planned.problems);
  const packaged = new Set(
    planned.groups.flatMap((g) => g.charts.flatMap((c) => dependencyNames(c.dependencies))),
  );
  const unused = [...charts.keys()].filter((name) => !planned.deployed.has(name) && !packaged.has(name));
  return {
    model: { manifest: manifest.name, releasePrefix: prefix, groups: planned.groups, unused },
    problems,
  };
}

type ReportProblem = (doc: ArmadaDocument, keyPath: (string | number)[], message: string) => void;

/** The problems a checker reports through its `err` callback. */
function collect(check: (err: ReportProblem) => void): ManifestProblem[] {
  const problems: ManifestProblem[] = [];
  check((doc, keyPath, message) => problems.push(problemAt(doc, keyPath, message)));
  return problems;
}

function problemAt(doc: ArmadaDocument, keyPath: (string | number)[], message: string): ManifestProblem {
  return {
    severity: 'error',
    file: doc.file,
    ...doc.locate(keyPath),
    document: doc.label,
    keyPath: keyPath.join('.'),
    message,
  };
}

/** A Chart, ChartGroup or Manifest name defined twice: the second one is the problem. */
function duplicateNames(documents: ArmadaDocument[]): ManifestProblem[] {
  const problems: ManifestProblem[] = [];
  for (const kind of ['Chart', 'ChartGroup', 'Manifest'] as const) {
    const seen = new Map<string, ArmadaDocument>();
    for (const doc of documents.filter((d) => d.kind === kind)) {
      const first = seen.get(doc.name);
      if (first)
        problems.push(
          problemAt(
            doc,
            ['metadata', 'name'],
            `duplicate ${kind} name: also defined at ${path.basename(first.file)}:${first.locate([]).line}`,
          ),
        );
      else seen.set(doc.name, doc);
    }
  }
  return problems;
}

/** The manifest named by target-manifest, or the only one there is. */
function chooseManifest(
  documents: ArmadaDocument[],
  targetManifest: string | undefined,
): { manifest?: ArmadaDocument; problems: ManifestProblem[] } {
  const manifests = documents.filter((d) => d.kind === 'Manifest');
  const names = manifests.map((m) => m.name).join(', ');
  if (targetManifest) {
    const manifest = manifests.find((m) => m.name === targetManifest);
    if (manifest) return { manifest, problems: [] };
    const message = `target manifest ${JSON.stringify(targetManifest)} not found; the manifest defines ${names || 'no armada/Manifest/v1 document'}`;
    return {
      problems: [
        {
          severity: 'error',
          file: documents[0]?.file ?? '',
          line: 1,
          column: 1,
          document: '',
          keyPath: '',
          message,
        },
      ],
    };
  }
  if (manifests.length === 1) return { manifest: manifests[0], problems: [] };
  const second = manifests[1];
  return {
    problems: [
      {
        severity: 'error',
        file: second?.file ?? documents[0]?.file ?? '',
        line: second?.locate([]).line ?? 1,
        column: 1,
        document: second?.label ?? '',
        keyPath: '',
        message:
          manifests.length === 0
            ? 'no armada/Manifest/v1 document: nothing says what to deploy'
            : `${manifests.length} armada/Manifest/v1 documents (${names}): choose one with target-manifest`,
      },
    ],
  };
}

/** The manifest's chart groups in order, each with its charts' settings; two charts may not share a release. */
function planGroups(
  manifest: ArmadaDocument,
  charts: Map<string, ArmadaDocument>,
  documents: ArmadaDocument[],
  prefix: string,
): { groups: PlannedGroup[]; deployed: Set<string>; problems: ManifestProblem[] } {
  const groups = new Map(documents.filter((d) => d.kind === 'ChartGroup').map((d) => [d.name, d]));
  const plannedGroups: PlannedGroup[] = [];
  const deployed = new Set<string>();
  const releases = new Map<string, string>();
  const problems = collect((err) => {
    ((manifest.data.chart_groups as string[]) ?? []).forEach((groupName, gi) => {
      const group = groups.get(groupName);
      if (!group) {
        err(manifest, ['data', 'chart_groups', gi], `no ChartGroup named ${JSON.stringify(groupName)}`);
        return;
      }
      const testDefault = typeof group.data.test_charts === 'boolean' ? group.data.test_charts : undefined;
      const planned = plannedGroup(group);
      ((group.data.chart_group as string[]) ?? []).forEach((chartName, ci) => {
        const chart = charts.get(chartName);
        if (!chart) {
          err(group, ['data', 'chart_group', ci], `no Chart named ${JSON.stringify(chartName)}`);
          return;
        }
        const settings = chartSettings(chart, prefix, testDefault);
        const key = `${settings.namespace}/${settings.release}`;
        const other = releases.get(key);
        if (other && other !== chart.name) {
          err(
            chart,
            ['data', 'release'],
            `release ${settings.release} in namespace ${settings.namespace} is also deployed by Chart ${other}`,
          );
        }
        releases.set(key, chart.name);
        deployed.add(chart.name);
        planned.charts.push({ ...settings, dependencies: resolveDependencies(chart, charts, err) });
      });
      plannedGroups.push(planned);
    });
  });
  return { groups: plannedGroups, deployed, problems };
}

function plannedGroup(group: ArmadaDocument): PlannedGroup {
  return {
    name: group.name,
    description: typeof group.data.description === 'string' ? group.data.description : undefined,
    sequenced: group.data.sequenced === true,
    charts: [],
  };
}

function resolveDependencies(
  chart: ArmadaDocument,
  charts: Map<string, ArmadaDocument>,
  err: ReportProblem,
  trail: string[] = [chart.name],
): ChartDependency[] {
  const names = Array.isArray(chart.data.dependencies) ? (chart.data.dependencies as string[]) : [];
  const out: ChartDependency[] = [];
  names.forEach((name, i) => {
    const dep = charts.get(name);
    if (!dep) {
      err(
        chart,
        ['data', 'dependencies', i],
        `no Chart named ${JSON.stringify(name)} to package as a dependency`,
      );
      return;
    }
    if (trail.includes(name)) {
      err(chart, ['data', 'dependencies', i], `dependency cycle: ${[...trail, name].join(' → ')}`);
      return;
    }
    out.push({
      document: name,
      chartName: String(dep.data.chart_name),
      source: source(dep.data),
      dependencies: resolveDependencies(dep, charts, err, [...trail, name]),
    });
  });
  return out;
}

/** Every document name in a dependency tree. */
export function dependencyNames(dependencies: ChartDependency[]): string[] {
  return dependencies.flatMap((d) => [d.document, ...dependencyNames(d.dependencies)]);
}

/** A git source's URL and reference reach git: no option-like values, no credentials in the URL. */
function checkGitSource(doc: ArmadaDocument, err: ReportProblem): void {
  const src = object(object(doc.data).source);
  if (src.type !== 'git') return;
  for (const [key, check] of [
    ['location', checkUrl],
    ['reference', checkGitRef],
  ] as const) {
    if (typeof src[key] !== 'string') continue;
    try {
      check(src[key], 'git source');
    } catch (e) {
      err(doc, ['data', 'source', key], (e as Error).message.replace(/^git source: /, ''));
    }
  }
}
