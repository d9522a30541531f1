/**
 * A chart as Helm's loader sees it (pkg/chart/loader LoadFiles) and the order Helm's
 * writeTarContents writes it in: Chart.yaml, Chart.lock (v2), values.yaml, values.schema.json,
 * templates/*, the other files (in walk order), then every subchart expanded under charts/<name>/.
 */
import path from 'node:path';
import { UserError } from '../errors.js';
import { ArchiveBudget, readTgz, type TarEntry } from './archive.js';
import {
  ChartFiles,
  chartDependencies,
  parseChartYaml,
  type ChartDependency,
  type ChartMetadata,
} from './chart-yaml.js';

/** A file of a chart, `name` relative to the chart's root, `/`-separated. */
export interface ChartFile {
  name: string;
  data: Buffer;
}

export interface LoadedChart {
  metadata: ChartMetadata;
  chartYaml: Buffer;
  lock?: Buffer;
  values?: Buffer;
  schema?: Buffer;
  templates: ChartFile[];
  files: ChartFile[];
  subcharts: LoadedChart[];
  dependencies: ChartDependency[];
  /** Names the chart in errors (a directory or `<package> charts/<x>`). */
  what: string;
}

const UTF8_BOM = Buffer.from([0xef, 0xbb, 0xbf]);

/** Helm drops a UTF-8 byte order mark from every file it loads. */
export function stripBom(data: Buffer): Buffer {
  return data.subarray(0, 3).equals(UTF8_BOM) ? data.subarray(3) : data;
}

/**
 * Loads a chart from its files in walk (or archive) order; `what` names it in errors. Every
 * subchart archive in it, at any depth, draws on the one `budget`.
 */
export async function loadChartFiles(
  files: ChartFile[],
  what: string,
  budget = new ArchiveBudget(),
): Promise<LoadedChart> {
  const chartFile = files.find((f) => f.name === ChartFiles.chart);
  if (!chartFile) throw new UserError(`${what}: not a chart: ${ChartFiles.chart} is missing`);
  const chartYamlWhat = joinWhat(what, ChartFiles.chart);
  const metadata = parseChartYaml(chartFile.data, chartYamlWhat);
  const v1 = metadata.apiVersion === 'v1';
  const chart: LoadedChart = {
    metadata,
    chartYaml: chartFile.data,
    templates: [],
    files: [],
    subcharts: [],
    dependencies: [],
    what,
  };
  const groups = new Map<string, ChartFile[]>();
  let requirements: ChartFile | undefined;
  for (const file of files) {
    const name = file.name;
    if (name === ChartFiles.chart) continue;
    if (name === ChartFiles.lock) {
      if (!v1) chart.lock = file.data; // Helm writes Chart.lock for v2 charts only
    } else if (name === ChartFiles.values) chart.values = file.data;
    else if (name === ChartFiles.schema) {
      try {
        JSON.parse(file.data.toString('utf8'));
      } catch {
        throw new UserError(`${joinWhat(what, name)}: not valid JSON (Helm refuses to package it)`);
      }
      chart.schema = file.data;
    } else if (name === ChartFiles.requirements || name === ChartFiles.requirementsLock) {
      // v1 charts keep them as files; Helm drops them from v2 charts.
      if (v1) chart.files.push(file);
      if (v1 && name === ChartFiles.requirements) requirements = file;
    } else if (name.startsWith('templates/')) chart.templates.push(file);
    else if (name.startsWith('charts/') && path.posix.extname(name) !== '.prov') {
      const rest = name.slice('charts/'.length);
      const group = rest.split('/', 1)[0]!;
      groups.set(group, [...(groups.get(group) ?? []), { name: rest, data: file.data }]);
    } else chart.files.push(file);
  }
  chart.dependencies = chartDependencies(
    metadata,
    chartYamlWhat,
    requirements && { bytes: requirements.data, file: joinWhat(what, requirements.name) },
  );
  for (const [group, groupFiles] of [...groups].sort(([a], [b]) => compareNames(a, b))) {
    if (group.startsWith('_') || group.startsWith('.')) continue; // Helm skips these
    const groupWhat = joinWhat(what, `charts/${group}`);
    if (path.posix.extname(group) === '.tgz') {
      if (groupFiles.length !== 1 || groupFiles[0]!.name !== group) {
        throw new UserError(`${groupWhat}: expected a chart archive file, found a directory`);
      }
      chart.subcharts.push(await loadChartArchive(groupFiles[0]!.data, groupWhat, budget));
    } else {
      const inner = groupFiles
        .filter((f) => f.name.includes('/'))
        .map((f) => ({ name: f.name.slice(group.length + 1), data: f.data }));
      chart.subcharts.push(await loadChartFiles(inner, groupWhat, budget));
    }
  }
  return chart;
}

/** Loads a chart archive (a subchart .tgz): files are taken from under its single root folder. */
export async function loadChartArchive(
  bytes: Buffer,
  what: string,
  budget = new ArchiveBudget(),
): Promise<LoadedChart> {
  const { files } = await readArchiveFiles(bytes, what, budget);
  return loadChartFiles(
    [...files].map(([name, data]) => ({ name, data: stripBom(data) })),
    what,
    budget,
  );
}

/**
 * The regular files of a chart archive under its root folder, in archive order. Refuses what Helm
 * or a safe extraction cannot take: several roots, absolute or `..` paths, links and devices.
 */
export async function readArchiveFiles(
  bytes: Buffer,
  what: string,
  budget = new ArchiveBudget(),
): Promise<{ root: string; files: Map<string, Buffer> }> {
  let entries;
  try {
    entries = await readTgz(bytes, budget, what);
  } catch (err) {
    if (err instanceof UserError) throw err;
    throw new UserError(`${what}: not a chart package (.tgz): ${(err as Error).message}`);
  }
  let root: string | undefined;
  const files = new Map<string, Buffer>();
  for (const entry of entries) {
    const name = entry.name.replace(/\\/g, '/');
    if (name.startsWith('/') || /^[A-Za-z]:/.test(name) || name.split('/').includes('..')) {
      throw new UserError(
        `${what}: refusing archive entry ${JSON.stringify(entry.name)}: absolute or '..' path`,
      );
    }
    if (entry.type === 'directory') continue;
    if (entry.type !== 'file' && entry.type !== 'contiguous-file') {
      throw new UserError(
        `${what}: refusing archive entry ${JSON.stringify(entry.name)}: a ${entry.type}, not a regular file`,
      );
    }
    const clean = path.posix.normalize(name).replace(/^\.\//, '');
    const slash = clean.indexOf('/');
    if (slash <= 0)
      throw new UserError(
        `${what}: archive entry ${JSON.stringify(entry.name)} is not inside the chart's folder`,
      );
    const top = clean.slice(0, slash);
    if (root !== undefined && top !== root) {
      throw new UserError(`${what}: not a chart package: more than one top-level folder (${root}, ${top})`);
    }
    root = top;
    const relative = clean.slice(slash + 1);
    if (files.has(relative))
      throw new UserError(`${what}: archive entry ${JSON.stringify(entry.name)} appears twice`);
    files.set(relative, entry.data);
  }
  if (root === undefined) throw new UserError(`${what}: not a chart package: the archive is empty`);
  if (!files.has(ChartFiles.chart)) {
    throw new UserError(`${what}: not a chart package: ${root}/${ChartFiles.chart} is missing`);
  }
  return { root, files };
}

/** The package's entries in Helm's order, under `<prefix><chart name>/`. */
export function chartEntries(chart: LoadedChart, prefix = ''): TarEntry[] {
  const base = `${prefix}${chart.metadata.name}/`;
  const entries: TarEntry[] = [{ name: base + ChartFiles.chart, data: chart.chartYaml }];
  if (chart.lock) entries.push({ name: base + ChartFiles.lock, data: chart.lock });
  if (chart.values) entries.push({ name: base + ChartFiles.values, data: chart.values });
  if (chart.schema) entries.push({ name: base + ChartFiles.schema, data: chart.schema });
  for (const file of [...chart.templates, ...chart.files])
    entries.push({ name: base + file.name, data: file.data });
  const seen = new Set<string>();
  for (const sub of [...chart.subcharts].sort((a, b) => compareNames(a.metadata.name, b.metadata.name))) {
    if (seen.has(sub.metadata.name)) {
      throw new UserError(`${chart.what}: charts/ holds the chart ${sub.metadata.name} twice`);
    }
    seen.add(sub.metadata.name);
    entries.push(...chartEntries(sub, `${base}charts/`));
  }
  return entries;
}

/** Byte order of names, as Go's sort.Strings (used for directory walks). */
export function compareNames(a: string, b: string): number {
  return Buffer.compare(Buffer.from(a), Buffer.from(b));
}

function joinWhat(what: string, name: string): string {
  return path.join(what, name);
}
