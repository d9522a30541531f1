/**
 * Chart.yaml (and a v1 chart's requirements.yaml): parsed and validated the way Helm loads a chart,
 * and the `version` rewritten in place so every other byte of the file survives.
 */
import semver from 'semver';
import { isMap, isScalar, LineCounter, parseDocument, type Document, type Scalar } from 'yaml';
import { UserError } from '../errors.js';

export interface ChartMetadata {
  apiVersion: string;
  name: string;
  version: string;
  [key: string]: unknown;
}

/** A dependency as declared in Chart.yaml (v2) or requirements.yaml (v1). */
export interface ChartDependency {
  name: string;
  version?: string;
  repository?: string;
  alias?: string;
  /** Where it is declared, for errors: `<file>: dependencies[<i>] (<name>)`. */
  where: string;
}

export const ChartFiles = {
  chart: 'Chart.yaml',
  lock: 'Chart.lock',
  values: 'values.yaml',
  schema: 'values.schema.json',
  requirements: 'requirements.yaml',
  requirementsLock: 'requirements.lock',
  ignore: '.helmignore',
} as const;

function parseYaml(text: string, file: string): Document {
  const lineCounter = new LineCounter();
  // YAML 1.1 scalars (yes/no booleans, ...), as Helm's go-yaml v2 reads them.
  const doc = parseDocument(text, { lineCounter, prettyErrors: false, uniqueKeys: true, version: '1.1' });
  const error = doc.errors[0];
  if (error) {
    const pos = lineCounter.linePos(error.pos[0]);
    throw new UserError(`${file}:${pos.line}:${pos.col}: not valid YAML: ${error.message.split('\n')[0]}`);
  }
  return doc;
}

/** Strict SemVer 2 (Helm's OCI tags and dependency resolution need it). */
export function isChartVersion(version: string): boolean {
  const parsed = semver.parse(version);
  if (!parsed) return false;
  const build = parsed.build.length > 0 ? `+${parsed.build.join('.')}` : '';
  return parsed.version + build === version;
}

/** Parses and validates Chart.yaml like Helm's loader (apiVersion defaults to v1). */
export function parseChartYaml(bytes: Buffer, file: string): ChartMetadata {
  const doc = parseYaml(bytes.toString('utf8'), file);
  const data: unknown = doc.toJS();
  if (typeof data !== 'object' || data === null || Array.isArray(data)) {
    throw new UserError(`${file}: expected a mapping of chart fields (apiVersion, name, version, ...)`);
  }
  const fields = data as Record<string, unknown>;
  const key = (name: string, expected: string, value: unknown): UserError =>
    new UserError(`${file}: key "${name}": expected ${expected}, got ${JSON.stringify(value) ?? 'nothing'}`);

  const apiVersion = fields.apiVersion ?? 'v1';
  if (apiVersion !== 'v1' && apiVersion !== 'v2') throw key('apiVersion', 'v1 or v2', fields.apiVersion);
  const name = fields.name;
  if (typeof name !== 'string' || name.trim() === '')
    throw key('name', 'the chart name (a non-empty string)', name);
  if (name === '.' || name === '..' || /[/\\]/.test(name)) {
    throw key('name', 'a chart name without path separators', name);
  }
  const version = fields.version;
  if (typeof version !== 'string' || version === '') {
    throw key('version', 'a SemVer 2 version string such as 1.2.3', version);
  }
  if (!isChartVersion(version))
    throw key('version', 'a SemVer 2 version such as 1.2.3 or 1.2.3-rc.1', version);
  if (
    fields.type !== undefined &&
    fields.type !== null &&
    !['application', 'library'].includes(String(fields.type))
  ) {
    throw key('type', 'application or library', fields.type);
  }
  if (fields.maintainers !== undefined && fields.maintainers !== null) {
    if (
      !Array.isArray(fields.maintainers) ||
      fields.maintainers.some((m) => typeof m !== 'object' || m === null)
    ) {
      throw key('maintainers', 'a list of {name, email, url} entries (no empty entries)', fields.maintainers);
    }
  }
  if (fields.annotations !== undefined && fields.annotations !== null) {
    const annotations = fields.annotations;
    if (
      typeof annotations !== 'object' ||
      Array.isArray(annotations) ||
      Object.values(annotations).some((v) => typeof v !== 'string')
    ) {
      throw key('annotations', 'a mapping of string keys to string values', annotations);
    }
  }
  if (apiVersion === 'v2') parseDependencyList(fields.dependencies, file, 'dependencies');
  return { ...fields, apiVersion, name, version };
}

/** The dependencies of a chart: Chart.yaml's (v2) or requirements.yaml's (v1). */
export function chartDependencies(
  metadata: ChartMetadata,
  chartFile: string,
  requirements?: { bytes: Buffer; file: string },
): ChartDependency[] {
  if (metadata.apiVersion === 'v2')
    return parseDependencyList(metadata.dependencies, chartFile, 'dependencies');
  if (!requirements) return [];
  const data = parseYaml(requirements.bytes.toString('utf8'), requirements.file).toJS() as unknown;
  if (data === null || data === undefined) return [];
  if (typeof data !== 'object' || Array.isArray(data)) {
    throw new UserError(`${requirements.file}: expected a mapping with a "dependencies" list`);
  }
  return parseDependencyList(
    (data as Record<string, unknown>).dependencies,
    requirements.file,
    'dependencies',
  );
}

function parseDependencyList(value: unknown, file: string, keyName: string): ChartDependency[] {
  if (value === undefined || value === null) return [];
  if (!Array.isArray(value)) {
    throw new UserError(`${file}: key "${keyName}": expected a list of {name, version, repository}`);
  }
  const seen = new Set<string>();
  return value.map((entry: unknown, index) => {
    const where = `${file}: ${keyName}[${index}]`;
    if (typeof entry !== 'object' || entry === null || Array.isArray(entry)) {
      throw new UserError(
        `${where}: expected a mapping {name, version, repository}, got ${JSON.stringify(entry)}`,
      );
    }
    const dep = entry as Record<string, unknown>;
    if (typeof dep.name !== 'string' || dep.name === '') {
      throw new UserError(
        `${where}: key "name": expected the dependency's chart name, got ${JSON.stringify(dep.name)}`,
      );
    }
    for (const field of ['version', 'repository', 'alias'] as const) {
      const v = dep[field];
      if (v !== undefined && v !== null && typeof v !== 'string') {
        throw new UserError(
          `${where} (${dep.name}): key "${field}": expected a string, got ${JSON.stringify(v)}`,
        );
      }
    }
    const key = (dep.alias as string | undefined) || dep.name;
    if (seen.has(key)) {
      throw new UserError(
        `${where} (${dep.name}): more than one dependency with name or alias ${JSON.stringify(key)}`,
      );
    }
    seen.add(key);
    return {
      name: dep.name,
      version: (dep.version as string | undefined) || undefined,
      repository: (dep.repository as string | undefined) || undefined,
      alias: (dep.alias as string | undefined) || undefined,
      where: `${where} (${dep.name})`,
    };
  });
}

/**
 * Chart.yaml with `version` replaced: only the value's own bytes change (its quoting style kept),
 * so comments, key order and formatting survive.
 */
export function setChartYamlVersion(bytes: Buffer, version: string, file: string): Buffer {
  if (!isChartVersion(version)) {
    throw new UserError(
      `chart version for ${file}: expected a SemVer 2 version such as 1.2.3, got ${JSON.stringify(version)}`,
    );
  }
  const text = bytes.toString('utf8');
  const doc = parseYaml(text, file);
  if (!isMap(doc.contents)) throw new UserError(`${file}: expected a mapping of chart fields`);
  const pair = doc.contents.items.find((item) => isScalar(item.key) && item.key.value === 'version');
  const node = pair?.value;
  if (!pair || !isScalar(node) || !node.range) {
    throw new UserError(`${file}: key "version": expected a scalar version to rewrite`);
  }
  const [start, valueEnd] = node.range;
  const rewritten = text.slice(0, start) + formatScalar(version, node.type) + text.slice(valueEnd);
  const check = parseYaml(rewritten, file).toJS() as Record<string, unknown>;
  if (check.version !== version) {
    throw new Error(`${file}: rewriting version to ${version} read back ${JSON.stringify(check.version)}`);
  }
  return Buffer.from(rewritten, 'utf8');
}

function formatScalar(value: string, type: Scalar.Type | undefined): string {
  if (type === 'QUOTE_DOUBLE') return JSON.stringify(value);
  if (type === 'QUOTE_SINGLE') return `'${value}'`;
  return value;
}

/**
 * The metadata Helm keeps for a chart: for a v1 chart, Helm's loader unmarshals requirements.yaml
 * into the metadata, so its `dependencies` become the chart's (and `helm push` writes them into the
 * OCI config blob). v2 charts declare them in Chart.yaml already.
 */
export function helmMetadata(
  metadata: ChartMetadata,
  requirements: Buffer | undefined,
  file: string,
): ChartMetadata {
  if (metadata.apiVersion !== 'v1' || !requirements) return metadata;
  const data = parseYaml(requirements.toString('utf8'), file).toJS() as Record<string, unknown> | null;
  const dependencies = data && typeof data === 'object' ? data.dependencies : undefined;
  return Array.isArray(dependencies) ? { ...metadata, dependencies } : metadata;
}
