/**
 * The `data` schemas of armada/Chart/v1, armada/ChartGroup/v1 and armada/Manifest/v1, written from
 * Armada's own v1 schemas (airshipit/armada armada/schemas/*-v1.yaml) with two deliberate
 * differences: `source.type` must be one Armada can fetch (git, local, tar), and the keys Armada
 * dropped or deprecated (`upgrade.options.recreate_pods`, top-level `timeout`) are accepted with a
 * warning rather than rejected, because real manifests still carry them.
 */
import { Ajv, type ErrorObject } from 'ajv';
import type { ArmadaDocument, ArmadaKind } from './documents.js';
import type { ManifestProblem } from './problems.js';
import { expectedWords, instancePathParts, showValue } from '../schema-errors.js';

const labels = {
  type: 'object',
  additionalProperties: { type: 'string' },
  'x-expected': 'a mapping of label names to strings',
};
const hookAction = {
  type: 'array',
  'x-expected': 'a list of {type, name, labels}',
  items: {
    type: 'object',
    properties: { type: { type: 'string' }, name: { type: 'string' }, labels },
    required: ['type'],
    additionalProperties: false,
  },
};
const integer = { type: 'integer', minimum: 0, 'x-expected': 'a whole number of seconds' };

export const CHART_V1 = {
  type: 'object',
  properties: {
    release: { type: 'string', minLength: 1 },
    chart_name: { type: 'string', minLength: 1 },
    namespace: {
      type: 'string',
      pattern: '^[a-z0-9]([-a-z0-9]*[a-z0-9])?$',
      'x-expected': 'a Kubernetes namespace name',
    },
    values: { type: 'object' },
    dependencies: {
      type: 'array',
      items: { type: 'string' },
      'x-expected': 'a list of chart document names',
    },
    protected: {
      type: 'object',
      properties: { continue_processing: { type: 'boolean' } },
      additionalProperties: false,
    },
    test: {
      'x-expected': 'true/false or {enabled, timeout, options: {cleanup}}',
      anyOf: [
        { type: 'boolean' },
        {
          type: 'object',
          properties: {
            enabled: { type: 'boolean' },
            timeout: integer,
            options: {
              type: 'object',
              properties: { cleanup: { type: 'boolean' } },
              additionalProperties: false,
            },
          },
          additionalProperties: false,
        },
      ],
    },
    timeout: integer,
    wait: {
      type: 'object',
      properties: {
        timeout: integer,
        resources: {
          type: 'array',
          items: {
            type: 'object',
            properties: {
              type: { type: 'string' },
              labels,
              min_ready: {
                'x-expected': 'a count or a percentage such as "20%"',
                anyOf: [{ type: 'integer' }, { type: 'string', pattern: '^\\d+%?$' }],
              },
            },
            required: ['type'],
            additionalProperties: false,
          },
        },
        labels,
        native: { type: 'object', properties: { enabled: { type: 'boolean' } }, additionalProperties: false },
      },
      additionalProperties: false,
    },
    source: {
      type: 'object',
      properties: {
        type: { enum: ['git', 'local', 'tar'], 'x-expected': 'git, local or tar' },
        location: { type: 'string', minLength: 1 },
        subpath: { type: 'string' },
        reference: { type: 'string' },
        proxy_server: { type: 'string' },
        auth_method: { type: 'string' },
        sha256: { type: 'string', pattern: '^[0-9a-fA-F]{64}$', 'x-expected': '64 hex digits' },
      },
      required: ['type', 'location', 'subpath'],
    },
    delete: { type: 'object', properties: { timeout: integer } },
    install: { type: 'object', properties: { no_hooks: { type: 'boolean' } } },
    upgrade: {
      type: 'object',
      properties: {
        no_hooks: { type: 'boolean' },
        pre: {
          type: 'object',
          properties: { delete: hookAction, update: hookAction, create: hookAction },
          additionalProperties: false,
        },
        post: { type: 'object', properties: { create: hookAction }, additionalProperties: false },
        options: {
          type: 'object',
          properties: { force: { type: 'boolean' }, recreate_pods: { type: 'boolean' } },
          additionalProperties: false,
        },
      },
      required: ['no_hooks'],
      additionalProperties: false,
    },
  },
  required: ['chart_name', 'release', 'namespace', 'source'],
  additionalProperties: false,
};

export const CHART_GROUP_V1 = {
  type: 'object',
  properties: {
    name: { type: 'string' },
    description: { type: 'string' },
    sequenced: { type: 'boolean' },
    test_charts: { type: 'boolean' },
    chart_group: { type: 'array', items: { type: 'string' }, 'x-expected': 'a list of chart document names' },
  },
  required: ['chart_group'],
  additionalProperties: false,
};

export const MANIFEST_V1 = {
  type: 'object',
  properties: {
    release_prefix: { type: 'string' },
    chart_groups: {
      type: 'array',
      items: { type: 'string' },
      'x-expected': 'a list of chart group document names',
    },
  },
  required: ['release_prefix', 'chart_groups'],
  additionalProperties: false,
};

const SCHEMAS: Record<ArmadaKind, object> = {
  Chart: CHART_V1,
  ChartGroup: CHART_GROUP_V1,
  Manifest: MANIFEST_V1,
};
let validators: Record<ArmadaKind, ReturnType<Ajv['compile']>> | undefined;

/** Compiled on first use: compiling at import would cost every action that bundles this module. */
function validatorFor(kind: ArmadaKind): ReturnType<Ajv['compile']> {
  if (!validators) {
    const ajv = new Ajv({ allErrors: true, verbose: true, strict: true, keywords: ['x-expected'] });
    validators = {
      Chart: ajv.compile(SCHEMAS.Chart),
      ChartGroup: ajv.compile(SCHEMAS.ChartGroup),
      Manifest: ajv.compile(SCHEMAS.Manifest),
    };
  }
  return validators[kind];
}

const TYPE_WORDS: Record<string, string> = {
  object: 'a mapping',
  array: 'a list',
  integer: 'an integer',
  boolean: 'true or false',
  string: 'a string',
  number: 'a number',
};

/** Schema problems of one document, located; plus warnings for deprecated keys. */
export function validateDocument(doc: ArmadaDocument): ManifestProblem[] {
  const problems: ManifestProblem[] = [];
  const problem = (severity: ManifestProblem['severity'], path: (string | number)[], message: string) => {
    const position = doc.locate(['data', ...path]);
    problems.push({
      severity,
      file: doc.file,
      ...position,
      document: doc.label,
      keyPath: ['data', ...path].join('.'),
      message,
    });
  };
  const validate = validatorFor(doc.kind);
  if (!validate(doc.data)) {
    const errors = validate.errors ?? [];
    // An anyOf that says in words what it wants replaces the errors of its branches — unless the
    // value is a mapping with errors inside it: then those are the useful ones.
    const within = (e: ErrorObject, s: ErrorObject) =>
      e !== s && e.schemaPath.startsWith(`${s.schemaPath.replace(/\/anyOf$/, '')}/`);
    const anyOfs = errors.filter((e) => e.keyword === 'anyOf' && expectedWords(e.parentSchema));
    const deep = (s: ErrorObject) => errors.filter((e) => within(e, s) && e.instancePath !== s.instancePath);
    const summarised = anyOfs.filter((s) => deep(s).length === 0);
    const opened = anyOfs.filter((s) => deep(s).length > 0);
    const kept = errors.filter(
      (e) =>
        !opened.includes(e) &&
        !summarised.some((s) => within(e, s)) &&
        !opened.some((s) => within(e, s) && e.instancePath === s.instancePath),
    );
    for (const error of kept) {
      const path = instancePathParts(error.instancePath);
      problem('error', ...describe(error, path));
    }
  }
  if (doc.kind === 'ChartGroup' && (doc.data as { test_charts?: unknown }).test_charts !== undefined) {
    problem(
      'warning',
      ['test_charts'],
      'deprecated by Armada: use test.enabled on each chart (still honoured as the default of its charts)',
    );
  }
  if (doc.kind === 'Chart') {
    const data = doc.data as { timeout?: unknown; upgrade?: { options?: { recreate_pods?: unknown } } };
    if (data.timeout !== undefined)
      problem(
        'warning',
        ['timeout'],
        'deprecated by Armada: use wait.timeout (taken as the wait timeout when wait.timeout is not set)',
      );
    if (data.upgrade?.options?.recreate_pods !== undefined) {
      problem(
        'warning',
        ['upgrade', 'options', 'recreate_pods'],
        'dropped from Armada (Helm 3 has no --recreate-pods): ignored',
      );
    }
  }
  return problems;
}

function describe(error: ErrorObject, path: (string | number)[]): [(string | number)[], string] {
  const words = expectedWords(error.parentSchema);
  const got = `, got ${showValue(error.data)}`;
  switch (error.keyword) {
    case 'additionalProperties': {
      const key = (error.params as { additionalProperty: string }).additionalProperty;
      const known = Object.keys((error.parentSchema as { properties?: object }).properties ?? {});
      return [[...path, key], `unknown key (allowed: ${known.join(', ')})`];
    }
    case 'required':
      return [
        [...path, (error.params as { missingProperty: string }).missingProperty],
        'required key is missing',
      ];
    case 'enum':
      return [
        path,
        `expected ${words ?? (error.params as { allowedValues: unknown[] }).allowedValues.map(showValue).join(', ')}${got}`,
      ];
    case 'type': {
      const type = [(error.params as { type: string | string[] }).type].flat();
      return [path, `expected ${words ?? type.map((t) => TYPE_WORDS[t] ?? t).join(' or ')}${got}`];
    }
    default:
      return [path, words ? `expected ${words}${got}` : `${error.message ?? 'is not valid'}${got}`];
  }
}
