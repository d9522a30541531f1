/** `helm package [--version]` without helm, deterministic; reading and re-versioning packages. */
import { createHash } from 'node:crypto';
import path from 'node:path';
import { UserError } from '../errors.js';
import { packTgz, readTgz, type TarEntry } from './archive.js';
import {
  ChartFiles,
  helmMetadata,
  parseChartYaml,
  setChartYamlVersion,
  type ChartMetadata,
} from './chart-yaml.js';
import { vendorDependencies } from './dependencies.js';
import { chartEntries, loadChartFiles, readArchiveFiles, type LoadedChart } from './load.js';
import { readChartDir } from './walk.js';

export interface ChartPackage {
  name: string;
  version: string;
  metadata: ChartMetadata;
  /** The .tgz */
  bytes: Buffer;
  /** sha256 of bytes */
  digest: string;
}

export interface ChartPackageFiles extends ChartPackage {
  /** Every file of the package relative to its root folder (`Chart.yaml`, `templates/x.yaml`, `charts/y/...`), in archive order. */
  files: Map<string, Buffer>;
}

export function sha256(bytes: Buffer): string {
  return `sha256:${createHash('sha256').update(bytes).digest('hex')}`;
}

/**
 * `helm dependency update` (file:// dependencies) + `helm package [--version]` of a chart directory:
 * root folder = chart name, `.helmignore` honoured, subcharts expanded under charts/<name>/,
 * fixed mtimes and gzip header — the same directory gives the same digest.
 * Unlike Helm, Chart.yaml is kept as written (Helm re-serialises it) with only `version` changed.
 */
export async function packageChart(dir: string, options: { version?: string } = {}): Promise<ChartPackage> {
  const root = path.resolve(dir);
  const chart = await loadChartDir(root, [root]);
  if (options.version !== undefined && options.version !== chart.metadata.version) {
    const file = path.join(root, ChartFiles.chart);
    chart.chartYaml = setChartYamlVersion(chart.chartYaml, options.version, file);
    chart.metadata = parseChartYaml(chart.chartYaml, file);
  }
  const bytes = await packTgz(chartEntries(chart));
  const requirements = chart.files.find((f) => f.name === ChartFiles.requirements)?.data;
  return packageOf(
    helmMetadata(chart.metadata, requirements, path.join(root, ChartFiles.requirements)),
    bytes,
  );
}

async function loadChartDir(dir: string, stack: string[]): Promise<LoadedChart> {
  const chart = await loadChartFiles(await readChartDir(dir), dir);
  await vendorDependencies(chart, dir, stack, loadChartDir);
  return chart;
}

function packageOf(metadata: ChartMetadata, bytes: Buffer): ChartPackage {
  return { name: metadata.name, version: metadata.version, metadata, bytes, digest: sha256(bytes) };
}

/** Reads a .tgz: metadata from <name>/Chart.yaml; throws (UserError naming `what`) when it is not a chart package. */
export async function readChartPackage(bytes: Buffer, what: string): Promise<ChartPackageFiles> {
  const { root, files } = await readArchiveFiles(bytes, what);
  const metadata = parseChartYaml(files.get(ChartFiles.chart)!, `${what}: ${root}/${ChartFiles.chart}`);
  if (metadata.name !== root) {
    throw new UserError(
      `${what}: not a chart package as Helm writes it: root folder ${JSON.stringify(root)} differs from the chart name ${JSON.stringify(metadata.name)}`,
    );
  }
  const requirements = files.get(ChartFiles.requirements);
  const file = `${what}: ${root}/${ChartFiles.requirements}`;
  return { ...packageOf(helmMetadata(metadata, requirements, file), bytes), files };
}

/**
 * The same package with another version: only `version` in <name>/Chart.yaml changes; every other
 * entry keeps its bytes, order and header fields, so re-versioning the same package twice gives
 * the same bytes.
 */
export async function reversionChart(pkg: ChartPackage, version: string): Promise<ChartPackage> {
  const what = `chart package ${pkg.name}-${pkg.version}.tgz`;
  const current = await readChartPackage(pkg.bytes, what);
  const chartEntry = `${current.name}/${ChartFiles.chart}`;
  const raw = await readTgz(pkg.bytes);
  let metadata: ChartMetadata | undefined;
  const entries: TarEntry[] = raw.map((entry) => {
    const type = entry.type === 'directory' ? 'directory' : 'file';
    const name = entry.name.replace(/^\.\//, '');
    if (name !== chartEntry) return { name: entry.name, data: entry.data, header: entry.header, type };
    const data = setChartYamlVersion(entry.data, version, `${what}: ${chartEntry}`);
    metadata = parseChartYaml(data, `${what}: ${chartEntry}`);
    return { name: entry.name, data, header: entry.header };
  });
  if (!metadata) throw new UserError(`${what}: ${chartEntry} is missing`);
  const requirements = current.files.get(ChartFiles.requirements);
  const file = `${what}: ${current.name}/${ChartFiles.requirements}`;
  return packageOf(helmMetadata(metadata, requirements, file), await packTgz(entries));
}
