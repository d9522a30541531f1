/**
 * Deploy by release: the release artifact (`<registry>/taco-release:<tag>` or `@sha256:…`) is
 * pulled and verified, every chart its rendered manifest pins (a tar source at the chart's .tgz
 * blob, by content digest) is pulled by the manifest digest its bill of materials names, checked
 * and unpacked into the run's work dir, and every image tag of the BOM is checked to still point
 * at the BOM's digest. Only then is the manifest handed to the deployment, with each pinned chart
 * document pointing at its unpacked chart. Every problem found is reported at once, with both
 * digests, and nothing is applied.
 */
import { writeFileSync, mkdirSync } from 'node:fs';
import path from 'node:path';
import pLimit from 'p-limit';
import { isMap, parseAllDocuments } from 'yaml';
import { extractChart, pullChart } from '../lib/charts/index.js';
import { JobFailure, UserError } from '../lib/errors.js';
import {
  localChartPath,
  stringifyDocuments,
  type ChartSource,
  type DeploymentModel,
} from '../lib/armada/index.js';
import { RegistryError } from '../lib/registry/errors.js';
import { parseImageReference } from '../lib/registry/reference.js';
import {
  parseChartBlobUrl,
  parseReleaseRef,
  pullRelease,
  type BillOfMaterials,
  type BomChart,
  type BomImage,
} from '../lib/release/index.js';
import type { RegistryClients } from './release-registry.js';

/** A chart of the release as deployed: the BOM entry and where it was unpacked. */
export interface ReleaseChart extends BomChart {
  /** Chart documents of the manifest that deploy it. */
  documents: string[];
  /** The unpacked chart directory. */
  dir: string;
}

export interface VerifiedRelease {
  /** As given (tag or digest). */
  ref: string;
  /** The release artifact's manifest digest. */
  digest: string;
  bom: BillOfMaterials;
  /** The rendered manifest with pinned charts pointing at their unpacked directories. */
  manifestFile: string;
  charts: ReleaseChart[];
  images: BomImage[];
}

export interface PinnedSource {
  host: string;
  repository: string;
  contentDigest: string;
}

/** A chart source as the release renderer pins it: `tar` at the chart's .tgz blob; else undefined. */
export function parsePinnedSource(source: unknown): PinnedSource | undefined {
  if (typeof source !== 'object' || source === null) return undefined;
  const { type, location } = source as Record<string, unknown>;
  if (type !== 'tar' || typeof location !== 'string') return undefined;
  const blob = parseChartBlobUrl(location);
  return blob && { host: blob.host, repository: blob.repository, contentDigest: blob.digest };
}

function describe(err: unknown): string {
  return err instanceof Error ? err.message : String(err);
}

export interface VerifyReleaseOptions {
  /** The `release` input. */
  ref: string;
  clients: RegistryClients;
  /** Charts are unpacked under <workDir>/release-charts; the manifest is written to workDir. */
  workDir: string;
  log(line: string): void;
}

async function pullVerifiedRelease(options: VerifyReleaseOptions) {
  const ref = parseReleaseRef(options.ref, "Input 'release'");
  const client = options.clients.forHost(ref.host);
  try {
    return await pullRelease(client, ref.repository, ref.reference);
  } catch (err) {
    if (err instanceof RegistryError && err.details.status === 404) {
      throw new UserError(
        `Input 'release': ${options.ref} does not exist in the registry (${describe(err)}); name a pushed release tag or digest`,
      );
    }
    if (err instanceof RegistryError) throw new JobFailure(`Release ${options.ref}: ${describe(err)}`);
    throw err;
  }
}

/** The chart documents of the rendered manifest, with their pins (undefined: not pinned). */
function chartDocuments(manifestYaml: string, file: string) {
  const documents = parseAllDocuments(manifestYaml);
  const list = Array.isArray(documents) ? documents : [];
  const charts: { name: string; pin?: PinnedSource; setSource(source: ChartSource): void }[] = [];
  for (const doc of list) {
    if (doc.errors.length)
      throw new JobFailure(`Release manifest ${file}: YAML syntax: ${doc.errors[0].message.split('\n')[0]}`);
    if (!isMap(doc.contents) || doc.get('schema') !== 'armada/Chart/v1') continue;
    const name = String(doc.getIn(['metadata', 'name']));
    const source = doc.getIn(['data', 'source']);
    const sourceJs = isMap(source) ? source.toJSON() : source;
    charts.push({
      name,
      pin: parsePinnedSource(sourceJs),
      setSource: (s) =>
        doc.setIn(
          ['data', 'source'],
          doc.createNode({ type: s.type, location: s.location, subpath: s.subpath }),
        ),
    });
  }
  const render = () => stringifyDocuments(list);
  return { charts, render };
}

async function verifyChart(
  bomChart: BomChart,
  pin: PinnedSource,
  options: VerifyReleaseOptions,
): Promise<{ dir: string } | { problem: string }> {
  const what = `chart ${bomChart.name} ${bomChart.version}`;
  let where;
  try {
    where = parseImageReference(bomChart.ref, `BOM chart ${bomChart.name}`);
  } catch (err) {
    return { problem: `${what}: ${describe(err)}` };
  }
  if (where.host !== pin.host || where.repository !== pin.repository) {
    return {
      problem: `${what}: the manifest pins it at ${pin.host}/${pin.repository}, but the bill of materials names ${bomChart.ref}`,
    };
  }
  let pulled;
  try {
    pulled = await pullChart(options.clients.forHost(where.host), where.repository, bomChart.digest, {
      expectedDigest: bomChart.digest,
    });
  } catch (err) {
    if (err instanceof RegistryError && err.details.status === 404)
      return {
        problem: `${what}: ${bomChart.ref}@${bomChart.digest} is missing from the registry (${describe(err)})`,
      };
    return { problem: `${what} (${bomChart.ref}@${bomChart.digest}): ${describe(err)}` };
  }
  if (pulled.manifestDigest !== bomChart.digest) {
    return {
      problem: `${what}: the registry served manifest ${pulled.manifestDigest}, the release names ${bomChart.digest}`,
    };
  }
  if (pulled.contentDigest !== pin.contentDigest) {
    return {
      problem: `${what}: its package layer is ${pulled.contentDigest}, but the release manifest pins ${pin.contentDigest}`,
    };
  }
  if (pulled.pkg.name !== bomChart.name || pulled.pkg.version !== bomChart.version) {
    return {
      problem: `${what}: the package is ${pulled.pkg.name} ${pulled.pkg.version} (${pulled.contentDigest})`,
    };
  }
  const target = path.join(options.workDir, 'release-charts', pin.contentDigest.replace(':', '-'));
  mkdirSync(target, { recursive: true });
  return { dir: await extractChart(pulled.pkg, target) };
}

async function verifyImage(image: BomImage, options: VerifyReleaseOptions): Promise<string | undefined> {
  const what = `image ${image.name}`;
  let ref;
  try {
    ref = parseImageReference(image.ref, `BOM image ${image.name}`);
  } catch (err) {
    return `${what}: ${describe(err)}`;
  }
  const reference = ref.tag ?? ref.digest ?? image.digest;
  let head;
  try {
    head = await options.clients.forHost(ref.host).headManifest(ref.repository, reference);
  } catch (err) {
    return `${what} (${image.ref}): ${describe(err)}`;
  }
  if (!head)
    return `${what}: ${image.ref} no longer exists in the registry (the release pinned ${image.digest})`;
  if (head.digest !== image.digest)
    return `${what}: ${image.ref} now resolves to ${head.digest}, but the release pinned ${image.digest}`;
  return undefined;
}

/** Pulls and verifies everything; throws JobFailure listing every problem before anything is written for the deployment. */
export async function verifyRelease(options: VerifyReleaseOptions): Promise<VerifiedRelease> {
  const pulled = await pullVerifiedRelease(options);
  const { bom } = pulled;
  options.log(
    `release ${options.ref}: ${pulled.digest} (${bom.charts.length} charts, ${bom.images.length} images)`,
  );
  const file = `${options.ref} (${bom.manifest.file})`;
  const manifest = chartDocuments(pulled.manifestYaml, file);
  const problems: string[] = [];
  const byContent = new Map(bom.charts.map((c) => [c.contentDigest, c]));
  const used = new Map<string, { chart: BomChart; pin: PinnedSource; documents: typeof manifest.charts }>();
  for (const doc of manifest.charts) {
    if (!doc.pin) continue; // checked on the deployment model: only deployed charts must be pinned
    const chart = byContent.get(doc.pin.contentDigest);
    if (!chart) {
      problems.push(
        `Chart ${doc.name}: the manifest pins ${doc.pin.contentDigest}, which no chart of the bill of materials has (${bom.charts.map((c) => `${c.name} ${c.contentDigest}`).join(', ') || 'none'})`,
      );
      continue;
    }
    const entry = used.get(chart.contentDigest) ?? { chart, pin: doc.pin, documents: [] };
    entry.documents.push(doc);
    used.set(chart.contentDigest, entry);
  }
  const limit = pLimit(4);
  const charts: ReleaseChart[] = [];
  const [chartResults, imageProblems] = await Promise.all([
    Promise.all(
      [...used.values()].map((u) =>
        limit(async () => ({ u, result: await verifyChart(u.chart, u.pin, options) })),
      ),
    ),
    Promise.all(bom.images.map((image) => limit(() => verifyImage(image, options)))),
  ]);
  for (const { u, result } of chartResults) {
    if ('problem' in result) {
      problems.push(`${result.problem} [Chart ${u.documents.map((d) => d.name).join(', ')}]`);
      continue;
    }
    for (const doc of u.documents)
      doc.setSource({
        type: 'local',
        location: path.dirname(result.dir),
        subpath: path.basename(result.dir),
      });
    charts.push({ ...u.chart, documents: u.documents.map((d) => d.name), dir: result.dir });
  }
  problems.push(...imageProblems.filter((p): p is string => p !== undefined));
  if (problems.length) {
    throw new JobFailure(
      `Release ${options.ref} (${pulled.digest}) failed verification, nothing was deployed:\n${problems.map((p) => `- ${p}`).join('\n')}`,
    );
  }
  const manifestFile = path.join(options.workDir, 'release-manifest.yaml');
  writeFileSync(manifestFile, manifest.render(), { mode: 0o600 });
  return {
    ref: options.ref,
    digest: pulled.digest,
    bom,
    manifestFile,
    charts: charts.sort((a, b) => a.name.localeCompare(b.name)),
    images: bom.images,
  };
}

/**
 * After overrides: every chart the model deploys (and every chart packaged into one) must come
 * from the release — a `set`/`values` override cannot re-point a source.
 */
export function unpinnedCharts(model: DeploymentModel, release: VerifiedRelease): string[] {
  const dirs = new Set(release.charts.map((c) => path.resolve(c.dir)));
  const pinned = (source: ChartSource) =>
    source.type === 'local' && dirs.has(path.resolve(localChartPath(source)));
  const problems: string[] = [];
  const describeSource = (s: ChartSource) => `${s.type} ${s.location}${s.subpath ? ` //${s.subpath}` : ''}`;
  for (const chart of model.groups.flatMap((g) => g.charts)) {
    if (!pinned(chart.source))
      problems.push(
        `Chart ${chart.document} (release ${chart.release}) comes from ${describeSource(chart.source)}, not from a chart of the release`,
      );
    const visit = (deps: typeof chart.dependencies) => {
      for (const dep of deps) {
        if (!pinned(dep.source))
          problems.push(
            `Chart ${dep.document} (packaged into ${chart.document}) comes from ${describeSource(dep.source)}, not from a chart of the release`,
          );
        visit(dep.dependencies);
      }
    };
    visit(chart.dependencies);
  }
  return problems;
}

/** Refuses, before anything is deployed, a deployment that would use a chart the release does not pin. */
export function requirePinnedCharts(model: DeploymentModel, release: VerifiedRelease): void {
  const unpinned = unpinnedCharts(model, release);
  if (unpinned.length)
    throw new JobFailure(
      `Release ${release.ref} (${release.digest}): nothing was deployed, the deployment would use charts the release does not pin:\n${unpinned.map((p) => `- ${p}`).join('\n')}`,
    );
}

/** The inputs with the release's manifest standing in for a manifest file. */
export function inputsForRelease<T extends { manifest?: string; targetManifest?: string }>(
  inputs: T,
  release: VerifiedRelease,
): T {
  return {
    ...inputs,
    manifest: release.manifestFile,
    targetManifest: inputs.targetManifest ?? release.bom.manifest.target,
  };
}
