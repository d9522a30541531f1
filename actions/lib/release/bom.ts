/**
 * The bill of materials of a TACO release: every image and chart by digest, the source commits and
 * the nightly run it passed. It is one layer of the release artifact; its bytes are canonical
 * (fixed key order, no times of its own) so that the same release always has the same digest.
 */
import { Ajv, type ErrorObject } from 'ajv';
import { instancePathParts, showValue } from '../schema-errors.js';
import { UserError } from '../errors.js';

export const ReleaseMediaTypes = {
  config: 'application/vnd.taco.release.v1+json',
  /** Layer: the Armada manifest rendered against the release's charts and images. */
  manifest: 'application/vnd.taco.release.armada.v1+yaml',
  /** Layer: the bill of materials (this module's JSON). */
  bom: 'application/vnd.taco.release.bom.v1+json',
} as const;

export interface BomImage {
  name: string;
  /** `host/repo:tag` */
  ref: string;
  digest: string;
  /** The candidate reference it was promoted from. */
  source?: string;
  /** Source commit it was built from, when the producer reported one. */
  commit?: string;
}

export interface BomChart {
  name: string;
  /** The packaged Chart.yaml version (= the tag, with `+` written `_`). */
  version: string;
  /**
   * The candidate's Chart.yaml version when the release re-versioned the chart (0.2.0 → 3.0.0).
   * Absent in candidate releases and in BOMs written before it was recorded.
   */
  sourceVersion?: string;
  /** `host/ns/charts/name:tag` */
  ref: string;
  /** Digest of the chart's OCI manifest. */
  digest: string;
  /** Digest of the chart's .tgz layer: what the rendered manifest pins. */
  contentDigest: string;
  source?: string;
  commit?: string;
}

export interface BomCommit {
  repository: string;
  commit: string;
  tag?: string;
}

export interface BillOfMaterials {
  schema: 1;
  /** The tag of the release artifact: `N.0.0`, or the candidate for a candidate release. */
  release: string;
  candidate: string;
  images: BomImage[];
  charts: BomChart[];
  commits: BomCommit[];
  /** The nightly run the candidate passed. */
  nightly?: { time: string; status: string; runUrl?: string };
  /** The Armada manifest the release was rendered from. */
  manifest: { file: string; target?: string };
}

const DIGEST = '^[a-z0-9]+(?:[+._-][a-z0-9]+)*:[a-zA-Z0-9=_-]+$';
const text = { type: 'string', minLength: 1 } as const;
const digest = { type: 'string', pattern: DIGEST, 'x-expected': 'a digest like sha256:<64 hex>' } as const;

const BOM_SCHEMA = {
  type: 'object',
  required: ['schema', 'release', 'candidate', 'images', 'charts', 'commits', 'manifest'],
  additionalProperties: false,
  properties: {
    schema: { const: 1 },
    release: text,
    candidate: text,
    images: {
      type: 'array',
      items: {
        type: 'object',
        required: ['name', 'ref', 'digest'],
        additionalProperties: false,
        properties: { name: text, ref: text, digest, source: text, commit: text },
      },
    },
    charts: {
      type: 'array',
      items: {
        type: 'object',
        required: ['name', 'version', 'ref', 'digest', 'contentDigest'],
        additionalProperties: false,
        properties: {
          name: text,
          version: text,
          sourceVersion: text,
          ref: text,
          digest,
          contentDigest: digest,
          source: text,
          commit: text,
        },
      },
    },
    commits: {
      type: 'array',
      items: {
        type: 'object',
        required: ['repository', 'commit'],
        additionalProperties: false,
        properties: { repository: text, commit: text, tag: text },
      },
    },
    nightly: {
      type: 'object',
      required: ['time', 'status'],
      additionalProperties: false,
      properties: { time: text, status: text, runUrl: text },
    },
    manifest: {
      type: 'object',
      required: ['file'],
      additionalProperties: false,
      properties: { file: text, target: text },
    },
  },
} as const;

let compiled: ReturnType<Ajv['compile']> | undefined;

/** Compiled on first use: compiling at import would cost every action that bundles this module. */
function validator(): ReturnType<Ajv['compile']> {
  compiled ??= new Ajv({ allErrors: true, verbose: true, strict: true, keywords: ['x-expected'] }).compile(
    BOM_SCHEMA,
  );
  return compiled;
}

function describeError(error: ErrorObject, bom: unknown): string {
  const parts = instancePathParts(error.instancePath);
  const key = parts.join('.') || '(root)';
  let value: unknown = bom;
  for (const part of parts) value = (value as Record<string | number, unknown> | undefined)?.[part];
  const expected = (error.parentSchema as { 'x-expected'?: string } | undefined)?.['x-expected'];
  if (error.keyword === 'additionalProperties')
    return `${key}: unknown key ${JSON.stringify((error.params as { additionalProperty: string }).additionalProperty)}`;
  return `${key}: ${expected ? `expected ${expected}` : error.message}${parts.length ? `, got ${showValue(value)}` : ''}`;
}

/** Checks a parsed bill of materials; `what` names where it came from. */
export function checkBom(value: unknown, what: string): BillOfMaterials {
  const validate = validator();
  if (!validate(value)) {
    const problems = (validate.errors ?? []).map((e) => `  - ${describeError(e, value)}`);
    throw new UserError(`${what}: not a TACO bill of materials (schema 1):\n${problems.join('\n')}`);
  }
  return value as BillOfMaterials;
}

export function parseBom(bytes: Buffer, what: string): BillOfMaterials {
  let value: unknown;
  try {
    value = JSON.parse(bytes.toString('utf8'));
  } catch (err) {
    throw new UserError(`${what}: the bill of materials is not JSON (${(err as Error).message})`);
  }
  return checkBom(value, what);
}

const byName = <T extends { name: string }>(items: readonly T[]) =>
  [...items].sort((a, b) => (a.name < b.name ? -1 : a.name > b.name ? 1 : 0));

function pick<T extends object>(item: T, keys: readonly (keyof T)[]): Partial<T> {
  const out: Partial<T> = {};
  for (const key of keys) if (item[key] !== undefined) out[key] = item[key];
  return out;
}

/** The canonical bytes: keys in schema order, images and charts sorted by name, 2-space JSON. */
export function serializeBom(bom: BillOfMaterials): Buffer {
  const canonical = {
    schema: 1,
    release: bom.release,
    candidate: bom.candidate,
    images: byName(bom.images).map((i) => pick(i, ['name', 'ref', 'digest', 'source', 'commit'])),
    charts: byName(bom.charts).map((c) =>
      pick(c, ['name', 'version', 'sourceVersion', 'ref', 'digest', 'contentDigest', 'source', 'commit']),
    ),
    commits: [...bom.commits]
      .sort((a, b) => (a.repository < b.repository ? -1 : a.repository > b.repository ? 1 : 0))
      .map((c) => pick(c, ['repository', 'commit', 'tag'])),
    ...(bom.nightly ? { nightly: pick(bom.nightly, ['time', 'status', 'runUrl']) } : {}),
    manifest: pick(bom.manifest, ['file', 'target']),
  };
  checkBom(canonical, 'bill of materials');
  return Buffer.from(`${JSON.stringify(canonical, null, 2)}\n`);
}

/** The release artifact's config blob: what the artifact is, without its contents. */
export function releaseConfig(bom: BillOfMaterials): Buffer {
  return Buffer.from(
    `${JSON.stringify({ schema: 1, release: bom.release, candidate: bom.candidate, images: bom.images.length, charts: bom.charts.length })}\n`,
  );
}
