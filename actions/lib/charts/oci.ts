/**
 * Charts in OCI registries as Helm stores them (pkg/registry: Push/Pull): an OCI image manifest
 * whose config is Chart.yaml's metadata as JSON and whose one layer is the .tgz, in
 * `<namespace>/charts/<name>`, tagged with the chart version (`+` written `_`).
 */
import { UserError } from '../errors.js';
import {
  isDigest,
  joinRepository,
  pullArtifact,
  pushImmutable,
  RegistryError,
  type ArtifactSpec,
  type RegistryClient,
  type RegistryLocation,
} from '../registry/index.js';
import type { ChartMetadata } from './chart-yaml.js';
import { HelmMediaTypes } from './media-types.js';
import { readChartPackage, type ChartPackage } from './package.js';

/** The OCI tag of a chart version: OCI tags cannot hold `+`, Helm writes `_`. */
export function chartTag(version: string): string {
  return version.replace(/\+/g, '_');
}

/** `<namespace>/charts/<name>` */
export function chartRepository(location: RegistryLocation, name: string): string {
  return joinRepository(location.namespace, 'charts', name);
}

/**
 * Helm's config blob: Go's json.Marshal of chart.Metadata — its fields in struct order, empty ones
 * omitted (`repository` of a dependency always written), strings sanitised as Helm's Validate
 * does, HTML characters escaped as Go does, compact.
 */
export function chartConfigJson(metadata: ChartMetadata): Buffer {
  const m = metadata as Record<string, unknown>;
  const out: Record<string, unknown> = {};
  const str = (key: string, value: unknown = m[key]) => {
    const s = sanitize(goString(value, key));
    if (s !== '') out[key] = s;
  };
  const list = (key: string, value: unknown = m[key]) => {
    const items = Array.isArray(value) ? value.map((v) => sanitize(goString(v, key))) : [];
    if (items.length > 0) out[key] = items;
  };
  str('name');
  str('home');
  list('sources');
  str('version');
  str('description');
  list('keywords');
  if (Array.isArray(m.maintainers) && m.maintainers.length > 0) {
    out.maintainers = (m.maintainers as Record<string, unknown>[]).map((maintainer) =>
      omitEmpty({
        name: sanitize(goString(maintainer?.name, 'maintainers.name')),
        email: sanitize(goString(maintainer?.email, 'maintainers.email')),
        url: sanitize(goString(maintainer?.url, 'maintainers.url')),
      }),
    );
  }
  str('icon');
  str('apiVersion');
  str('condition');
  str('tags');
  str('appVersion');
  if (m.deprecated === true) out.deprecated = true;
  if (m.annotations && typeof m.annotations === 'object' && Object.keys(m.annotations).length > 0) {
    out.annotations = sortKeys(m.annotations);
  }
  str('kubeVersion');
  if (Array.isArray(m.dependencies) && m.dependencies.length > 0) {
    out.dependencies = (m.dependencies as Record<string, unknown>[]).map(dependencyJson);
  }
  str('type');
  return Buffer.from(goJson(out), 'utf8');
}

function dependencyJson(dep: Record<string, unknown>): Record<string, unknown> {
  const out: Record<string, unknown> = { name: sanitize(goString(dep.name, 'dependencies.name')) };
  const version = sanitize(goString(dep.version, 'dependencies.version'));
  if (version) out.version = version;
  out.repository = sanitize(goString(dep.repository, 'dependencies.repository'));
  const condition = sanitize(goString(dep.condition, 'dependencies.condition'));
  if (condition) out.condition = condition;
  if (Array.isArray(dep.tags) && dep.tags.length > 0) {
    out.tags = dep.tags.map((t) => sanitize(goString(t, 'dependencies.tags')));
  }
  if (dep.enabled === true) out.enabled = true;
  if (Array.isArray(dep['import-values']) && dep['import-values'].length > 0) {
    out['import-values'] = sortKeys(dep['import-values']);
  }
  if (Array.isArray(dep['export-values']) && dep['export-values'].length > 0) {
    out['export-values'] = sortKeys(dep['export-values']);
  }
  const alias = goString(dep.alias, 'dependencies.alias');
  if (alias) out.alias = alias;
  return out;
}

/** A YAML scalar read into a Go string field (sigs.k8s.io/yaml turns numbers and booleans into text). */
function goString(value: unknown, key: string): string {
  if (value === undefined || value === null) return '';
  if (typeof value === 'string') return value;
  if (typeof value === 'number' || typeof value === 'boolean') return String(value);
  throw new UserError(`Chart.yaml: key "${key}": expected a string, got ${JSON.stringify(value)}`);
}

/** Helm's sanitizeString: whitespace becomes a space, other non-printable characters are dropped. */
function sanitize(text: string): string {
  return text.replace(/\p{White_Space}/gu, ' ').replace(/[^\p{L}\p{M}\p{N}\p{P}\p{S} ]/gu, '');
}

function omitEmpty(record: Record<string, string>): Record<string, string> {
  return Object.fromEntries(Object.entries(record).filter(([, v]) => v !== ''));
}

/** Go marshals maps with sorted keys. */
function sortKeys(value: unknown): unknown {
  if (Array.isArray(value)) return value.map(sortKeys);
  if (value && typeof value === 'object') {
    return Object.fromEntries(
      Object.keys(value)
        .sort()
        .map((k) => [k, sortKeys((value as Record<string, unknown>)[k])]),
    );
  }
  return value;
}

/** JSON as Go's encoding/json writes it: compact, with <, >, &, U+2028 and U+2029 escaped. */
export function goJson(value: unknown): string {
  return JSON.stringify(value).replace(
    /[<>&\u2028\u2029]/g,
    (ch) => `\\u${ch.charCodeAt(0).toString(16).padStart(4, '0')}`,
  );
}

/**
 * The manifest annotations Helm writes (generateOCIAnnotations): description, title, version,
 * url (home), source (first of sources), authors (maintainers), created, then Chart.yaml's own
 * annotations except title and version.
 */
export function chartAnnotations(metadata: ChartMetadata): Record<string, string> {
  const m = metadata as Record<string, unknown>;
  const annotations: Record<string, string> = {};
  const add = (key: string, value: string) => {
    if (value.trim() !== '') annotations[`org.opencontainers.image.${key}`] = value;
  };
  add('description', goString(m.description, 'description'));
  add('title', metadata.name);
  add('version', metadata.version);
  add('url', goString(m.home, 'home'));
  // Helm writes the .tgz file's mtime (Helm 4) or the time of the push (Helm 3). Ours is the fixed
  // mtime of our package entries, so the manifest digest is a function of the chart alone and
  // pushing the same chart again is a no-op instead of a "tag taken" conflict.
  add('created', CHART_CREATED);
  if (Array.isArray(m.sources) && m.sources.length > 0) add('source', goString(m.sources[0], 'sources'));
  if (Array.isArray(m.maintainers) && m.maintainers.length > 0) {
    const authors = (m.maintainers as Record<string, unknown>[])
      .map((maintainer) => {
        const name = goString(maintainer?.name, 'maintainers.name');
        const email = goString(maintainer?.email, 'maintainers.email');
        return `${name}${email ? ` (${email})` : ''}`;
      })
      .join(', ');
    add('authors', authors);
  }
  const own = m.annotations as Record<string, string> | undefined;
  for (const [key, value] of Object.entries(own ?? {})) {
    if (key === 'org.opencontainers.image.title' || key === 'org.opencontainers.image.version') continue;
    annotations[key] = value;
  }
  return annotations;
}

/** The `created` annotation of every chart pushed by this suite (see chartAnnotations). */
export const CHART_CREATED = '1970-01-01T00:00:00Z';

/** Config + one content layer + Helm's annotations. */
export function chartArtifact(pkg: ChartPackage): ArtifactSpec {
  return {
    config: { mediaType: HelmMediaTypes.config, bytes: chartConfigJson(pkg.metadata) },
    layers: [{ mediaType: HelmMediaTypes.content, bytes: pkg.bytes }],
    annotations: chartAnnotations(pkg.metadata),
  };
}

export interface PushedChart {
  name: string;
  version: string;
  /** host/ns/charts/name:tag */
  ref: string;
  /** The manifest digest. */
  digest: string;
  /** The .tgz layer digest. */
  contentDigest: string;
  status: 'pushed' | 'unchanged' | 'planned';
}

/** Pushes a chart immutably (same digest: unchanged; another digest under the tag: RegistryError TAG_TAKEN). */
export async function pushChart(
  client: RegistryClient,
  location: RegistryLocation,
  pkg: ChartPackage,
  options: { dryRun?: boolean } = {},
): Promise<PushedChart> {
  const checked = await readChartPackage(pkg.bytes, `chart package ${pkg.name}-${pkg.version}.tgz`);
  if (checked.name !== pkg.name || checked.version !== pkg.version) {
    throw new UserError(
      `chart package ${pkg.name}-${pkg.version}.tgz: its Chart.yaml says ${checked.name} ${checked.version}`,
    );
  }
  const repository = chartRepository(location, pkg.name);
  const tag = chartTag(checked.version);
  const pushed = await pushImmutable(client, repository, tag, chartArtifact(checked), {
    dryRun: options.dryRun,
  });
  return {
    name: checked.name,
    version: checked.version,
    ref: `${location.host}/${repository}:${tag}`,
    digest: pushed.digest,
    contentDigest: checked.digest,
    status: pushed.status,
  };
}

/**
 * Pulls a chart by tag or digest and verifies it as Helm would install it: Helm's config media
 * type, exactly one content layer (an optional provenance layer is allowed), every digest (the
 * registry module checks each blob), the config naming the packaged chart, and a tag equal to
 * the packaged Chart.yaml version.
 */
export async function pullChart(
  client: RegistryClient,
  repository: string,
  reference: string,
  options: { expectedDigest?: string } = {},
): Promise<{ pkg: ChartPackage; manifestDigest: string; contentDigest: string }> {
  const where = `${client.host}/${repository}${isDigest(reference) ? '@' : ':'}${reference}`;
  const artifact = await pullArtifact(client, repository, reference, options);
  const invalid = (message: string, code = 'MANIFEST_INVALID') =>
    new RegistryError(`${where}: ${message}`, { code });
  if (artifact.config.mediaType !== HelmMediaTypes.config) {
    throw invalid(
      `not a Helm chart: config media type ${artifact.config.mediaType}, expected ${HelmMediaTypes.config}`,
    );
  }
  const content = artifact.layers.filter((layer) => layer.mediaType === HelmMediaTypes.content);
  const others = artifact.layers.filter(
    (layer) => layer.mediaType !== HelmMediaTypes.content && layer.mediaType !== HelmMediaTypes.provenance,
  );
  if (content.length !== 1 || others.length > 0) {
    throw invalid(
      `not a Helm chart: expected one ${HelmMediaTypes.content} layer, found ` +
        (artifact.layers.map((l) => l.mediaType).join(', ') || 'no layers'),
    );
  }
  const layer = content[0]!;
  let pkg: ChartPackage;
  try {
    pkg = await readChartPackage(layer.bytes, where);
  } catch (err) {
    throw invalid((err as Error).message.replace(`${where}: `, ''), 'CHART_INVALID');
  }
  let config: Record<string, unknown>;
  try {
    config = JSON.parse(artifact.config.bytes.toString('utf8')) as Record<string, unknown>;
  } catch {
    throw invalid('the Helm config blob is not JSON', 'CHART_INVALID');
  }
  if (config.name !== pkg.name || config.version !== pkg.version) {
    throw invalid(
      `the config names ${String(config.name)} ${String(config.version)} but the package holds ${pkg.name} ${pkg.version}`,
      'CHART_INVALID',
    );
  }
  if (!isDigest(reference) && reference !== chartTag(pkg.version)) {
    throw invalid(
      `tag ${reference} does not match the packaged Chart.yaml version ${pkg.version} (expected tag ${chartTag(pkg.version)})`,
      'TAG_MISMATCH',
    );
  }
  return { pkg, manifestDigest: artifact.manifest.digest, contentDigest: layer.digest };
}
