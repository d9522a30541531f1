import type { ErrorObject } from 'ajv';
import { closest } from '../closest.js';
import type { ProfileProblem } from './load.js';
import { expectedWords, instancePathParts, showValue } from '../schema-errors.js';
import { dotted, type NodeLocation } from '../located.js';
// profiles/schema.json compiled ahead of time by scripts/build-schema.js (ajv options: allErrors,
// verbose, strict, and our own annotation keyword `x-expected`), so that no action compiles it at start.
import { validate } from './schema-validator.js';

type Locate = (parts: (string | number)[]) => NodeLocation;

export function validateProfileData(data: unknown, locate: Locate): ProfileProblem[] {
  if (validate(data)) return [];
  const errors = prune(validate.errors ?? []);
  const seen = new Set<string>();
  const problems: ProfileProblem[] = [];
  for (const error of errors) {
    const problem = describe(error, locate);
    const key = `${problem.keyPath}\u0000${problem.message}`;
    if (seen.has(key)) continue;
    seen.add(key);
    problems.push(problem);
  }
  return problems;
}

/** Drops the inner errors of a oneOf/anyOf whose schema says in `x-expected` what it wants. */
function prune(errors: ErrorObject[]): ErrorObject[] {
  const summarised = errors.filter(
    (e) => (e.keyword === 'oneOf' || e.keyword === 'anyOf') && expectedWords(e.parentSchema) !== undefined,
  );
  return errors.filter(
    (e) =>
      summarised.includes(e) ||
      !summarised.some(
        (s) => e.schemaPath.startsWith(`${s.schemaPath}/`) && e.instancePath.startsWith(s.instancePath),
      ),
  );
}

function describe(error: ErrorObject, locate: Locate): ProfileProblem {
  const parts = instancePathParts(error.instancePath);
  const expected = expectedWords(error.parentSchema);
  const got = `, got ${showValue(error.data)}`;
  switch (error.keyword) {
    case 'additionalProperties': {
      const key = (error.params as { additionalProperty: string }).additionalProperty;
      const known = Object.keys((error.parentSchema as { properties?: object }).properties ?? {});
      const hint = closest(key, known);
      return {
        position: locate([...parts, key]).key ?? locate(parts).value,
        keyPath: dotted([...parts, key]),
        message: `unknown key${hint ? ` (did you mean "${hint}"?)` : known.length ? ` (allowed: ${known.join(', ')})` : ''}`,
      };
    }
    case 'required': {
      const key = (error.params as { missingProperty: string }).missingProperty;
      const where = locate(parts);
      return {
        position: where.key ?? where.value,
        keyPath: dotted([...parts, key]),
        message: 'required key is missing',
      };
    }
    case 'dependencies': {
      const { property, missingProperty } = error.params as { property: string; missingProperty: string };
      const where = locate([...parts, property]);
      return {
        position: where.key ?? where.value,
        keyPath: dotted([...parts, missingProperty]),
        message: `required key is missing: ${property} is set, and one needs the other`,
      };
    }
    case 'enum': {
      const allowed = (error.params as { allowedValues: unknown[] }).allowedValues
        .map((v) => showValue(v))
        .join(', ');
      return {
        position: locate(parts).value,
        keyPath: dotted(parts),
        message: `expected ${expected ?? `one of ${allowed}`}${got}`,
      };
    }
    case 'type': {
      const type = (error.params as { type: string | string[] }).type;
      const words = expected ?? `${[type].flat().map(article).join(' or ')}`;
      return { position: locate(parts).value, keyPath: dotted(parts), message: `expected ${words}${got}` };
    }
    default:
      return {
        position: locate(parts).value,
        keyPath: dotted(parts),
        message: expected ? `expected ${expected}${got}` : `${error.message ?? 'is not valid'}${got}`,
      };
  }
}

function article(type: string): string {
  const words: Record<string, string> = {
    object: 'a mapping',
    array: 'a list',
    integer: 'an integer',
    null: 'nothing',
  };
  return words[type] ?? `a ${type}`;
}
