/**
 * Renders an Armada manifest against a release: every chart is pinned to its packaged .tgz in the
 * registry by content digest, and every image tag naming a released image points at the release's
 * tag. The documents are edited in place (comments, key order and placeholders survive), so the
 * rendered manifest reads like the one it came from.
 */
import path from 'node:path';
import { type Document, parseAllDocuments } from 'yaml';
import {
  applyImageTags,
  buildModel,
  type BuiltImage,
  hasErrors,
  ManifestError,
  type ManifestProblem,
  parseManifestText,
  repositoryName,
  stringifyDocuments,
  validateDocument,
} from '../armada/index.js';
import { UserError } from '../errors.js';
import { parseImageReference } from '../registry/reference.js';
import type { BillOfMaterials, BomChart } from './bom.js';

export interface RenderOptions {
  /** How the registry is reached (`http` for loopback and insecure registries). */
  scheme: 'http' | 'https';
  /** `metadata.name` of the armada/Manifest/v1 to check; default: each one. */
  target?: string;
}

/** Where a chart's package is, by content digest: a URL Armada's `tar` source can fetch. */
export function chartBlobUrl(chart: BomChart, scheme: 'http' | 'https'): string {
  const ref = parseImageReference(chart.ref, `chart ${chart.name}`);
  return `${scheme}://${ref.host}/v2/${ref.repository}/blobs/${chart.contentDigest}`;
}

/** `http://host/v2/<repo>/blobs/<digest>` → its parts; undefined for any other location. */
export function parseChartBlobUrl(
  location: string,
): { host: string; repository: string; digest: string } | undefined {
  const match = /^https?:\/\/([^/]+)\/v2\/(.+)\/blobs\/([a-z0-9]+:[a-zA-Z0-9=_-]+)$/.exec(location);
  return match ? { host: match[1], repository: match[2], digest: match[3] } : undefined;
}

function chartKey(data: Record<string, unknown>): { chartName?: string; subpathName?: string } {
  const source = (data.source ?? {}) as Record<string, unknown>;
  const subpath = typeof source.subpath === 'string' ? source.subpath.replace(/\/+$/, '') : '';
  return {
    chartName: typeof data.chart_name === 'string' ? data.chart_name : undefined,
    subpathName: subpath && subpath !== '.' ? path.posix.basename(subpath) : undefined,
  };
}

function stringList(value: unknown): string[] {
  return Array.isArray(value) ? value.filter((v): v is string => typeof v === 'string') : [];
}

export function renderReleaseManifest(
  text: string,
  file: string,
  bom: Pick<BillOfMaterials, 'charts' | 'images'>,
  options: RenderOptions,
): string {
  const parsed = parseManifestText(text, file);
  const problems: ManifestProblem[] = [...parsed.problems, ...parsed.documents.flatMap(validateDocument)];
  if (hasErrors(problems)) throw new ManifestError(problems);

  const chartsByName = new Map(bom.charts.map((c) => [c.name, c]));
  const images: BuiltImage[] = bom.images.map((i) => ({ name: repositoryName(i.ref), ref: i.ref }));
  const manifests = parsed.documents.filter(
    (d) => d.kind === 'Manifest' && (!options.target || d.name === options.target),
  );
  const groupNames = new Set(manifests.flatMap((d) => stringList(d.data.chart_groups)));
  const groups = parsed.documents.filter((d) => d.kind === 'ChartGroup');
  const deployed = new Set(
    groups.filter((d) => groupNames.has(d.name)).flatMap((d) => stringList(d.data.chart_group)),
  );

  const yamlDocs = parseAllDocuments(text, { uniqueKeys: true }) as Document[];
  // Groups no manifest deploys would name charts that are not pinned: they go with those charts.
  const dropped = new Set<number>(groups.filter((d) => !groupNames.has(d.name)).map((d) => d.index));
  const unpinned: string[] = [];
  for (const doc of parsed.documents.filter((d) => d.kind === 'Chart')) {
    const node = yamlDocs[doc.index];
    const { chartName, subpathName } = chartKey(doc.data);
    const chart =
      (chartName && chartsByName.get(chartName)) || (subpathName && chartsByName.get(subpathName));
    if (!chart) {
      // Dependencies (helm-toolkit) are vendored in the packages that need them.
      if (deployed.has(doc.name))
        unpinned.push(
          `  ${file}:${doc.locate(['data', 'chart_name']).line} [${doc.label}]: chart ${JSON.stringify(chartName ?? subpathName ?? doc.name)} is deployed but is not among the release's charts`,
        );
      else dropped.add(doc.index);
      continue;
    }
    node.setIn(
      ['data', 'source'],
      node.createNode({ type: 'tar', location: chartBlobUrl(chart, options.scheme), subpath: chart.name }),
    );
    node.setIn(['data', 'dependencies'], node.createNode([]));
    const values = structuredClone((doc.data.values ?? {}) as Record<string, unknown>);
    for (const change of applyImageTags(doc.name, values, images))
      node.setIn(['data', 'values', 'images', 'tags', change.key], change.to);
  }
  if (unpinned.length)
    throw new UserError(
      `Cannot render ${file} for the release: every deployed chart must be one of the release's charts (${[...chartsByName.keys()].join(', ') || 'none'}):\n${unpinned.join('\n')}`,
    );

  // The file's header comment is its first document's: keep it at the top whatever is dropped.
  const header = yamlDocs[0]?.commentBefore;
  if (header) yamlDocs[0].commentBefore = null;
  const rendered =
    (header
      ? `${header
          .split('\n')
          .map((line) => `#${line}`.trimEnd())
          .join('\n')}\n`
      : '') + stringifyDocuments(yamlDocs.filter((_, index) => !dropped.has(index)));
  checkRendered(rendered, file, options.target);
  return rendered;
}

/** The rendered manifest must still be a valid deployment (a dropped document may have been needed). */
function checkRendered(rendered: string, file: string, target: string | undefined): void {
  const parsed = parseManifestText(rendered, `${file} (rendered)`);
  const problems = [...parsed.problems, ...parsed.documents.flatMap(validateDocument)];
  const manifests = parsed.documents.filter((d) => d.kind === 'Manifest').map((d) => d.name);
  for (const name of target ? [target] : manifests.length > 1 ? manifests : [undefined])
    problems.push(...buildModel(parsed.documents, name).problems);
  if (hasErrors(problems)) throw new ManifestError(problems);
}
