/**
 * Armada's override syntax, with Armada's semantics so existing site scripts carry over:
 * - `values` files hold Armada documents; each is deep-merged into the document with the same
 *   schema and metadata.name (mappings merge, anything else replaces; a string given for a list
 *   becomes a comma-separated list).
 * - `set` is `<chart|chart_group|manifest>:<metadata.name>:<dotted.path>=<value>`, the path under
 *   the document's `data`; the value is a string as in Armada, a string set on a list splits on
 *   commas — and, unlike Armada (whose own schema check then rejects the document), a value that
 *   replaces a number or a boolean is read as one, so `chart:keystone:wait.timeout=1800` works.
 * Values files are applied first, then every `set`, so `set` wins.
 */
import { readFileSync } from 'node:fs';
import { isPlainObject } from '../profile/merge.js';
import { parseManifestText, type ArmadaDocument, type ArmadaKind } from './documents.js';
import type { ManifestProblem } from './problems.js';

const ALIASES: Record<string, ArmadaKind> = {
  chart: 'Chart',
  chart_group: 'ChartGroup',
  manifest: 'Manifest',
};

/** Armada's merge: mappings recurse, a string onto a list splits on commas, anything else replaces. */
export function armadaMerge(
  target: Record<string, unknown>,
  update: Record<string, unknown>,
): Record<string, unknown> {
  for (const [key, value] of Object.entries(update)) {
    const current = target[key];
    if (isPlainObject(value)) target[key] = armadaMerge(isPlainObject(current) ? current : {}, value);
    else if (typeof value === 'string' && Array.isArray(current))
      target[key] = value.split(',').map((item) => item.trim());
    else target[key] = value;
  }
  return target;
}

function problemAt(file: string, message: string, extra: Partial<ManifestProblem> = {}): ManifestProblem {
  return { severity: 'error', file, line: 1, column: 1, document: '', keyPath: '', message, ...extra };
}

/** Merges the documents of each values file into the manifest's documents. */
export function applyValuesFiles(documents: ArmadaDocument[], files: string[]): ManifestProblem[] {
  const problems: ManifestProblem[] = [];
  for (const file of files) {
    let text: string;
    try {
      text = readFileSync(file, 'utf8');
    } catch (err) {
      problems.push(
        problemAt(
          file,
          `values file cannot be read: ${(err as NodeJS.ErrnoException).code ?? (err as Error).message}`,
        ),
      );
      continue;
    }
    const parsed = parseManifestText(text, file);
    problems.push(...parsed.problems);
    for (const override of parsed.documents) {
      const target = documents.find((d) => d.kind === override.kind && d.name === override.name);
      if (!target) {
        problems.push({
          severity: 'error',
          file,
          ...override.locate(['metadata', 'name']),
          document: override.label,
          keyPath: 'metadata.name',
          message: `no ${override.kind} document named ${JSON.stringify(override.name)} in the manifest to merge these values into`,
        });
        continue;
      }
      armadaMerge(target.data, override.data);
    }
  }
  return problems;
}

export interface SetOverride {
  kind: ArmadaKind;
  name: string;
  path: string[];
  value: string;
  text: string;
}

export function parseSetOverride(text: string): SetOverride | string {
  const eq = text.indexOf('=');
  if (eq < 0)
    return `expected <chart|chart_group|manifest>:<name>:<dotted.path>=<value>, got ${JSON.stringify(text)}`;
  const target = text.slice(0, eq).split(':');
  if (target.length !== 3)
    return `expected <chart|chart_group|manifest>:<name>:<dotted.path>=<value>, got ${JSON.stringify(text)}`;
  const [alias, name, dotted] = target;
  const kind = ALIASES[alias];
  if (!kind)
    return `${JSON.stringify(text)}: document type must be chart, chart_group or manifest, got ${JSON.stringify(alias)}`;
  const path = dotted.split('.');
  if (!name || path.some((p) => p === ''))
    return `${JSON.stringify(text)}: expected a document name and a dotted key path`;
  return { kind, name, path, value: text.slice(eq + 1), text };
}

/** Applies `set` overrides; `origin` names where they came from in errors (`input set`). */
export function applySetOverrides(
  documents: ArmadaDocument[],
  overrides: string[],
  origin: string,
): ManifestProblem[] {
  const problems: ManifestProblem[] = [];
  for (const text of overrides) {
    const parsed = parseSetOverride(text);
    if (typeof parsed === 'string') {
      problems.push(problemAt(origin, parsed));
      continue;
    }
    const target = documents.find((d) => d.kind === parsed.kind && d.name === parsed.name);
    if (!target) {
      problems.push(
        problemAt(
          origin,
          `${JSON.stringify(text)}: no ${parsed.kind} document named ${JSON.stringify(parsed.name)} in the manifest`,
        ),
      );
      continue;
    }
    const current = parsed.path.reduce<unknown>(
      (node, part) => (isPlainObject(node) ? node[part] : undefined),
      target.data,
    );
    const value = typedLike(current, parsed.value);
    const update: Record<string, unknown> = {};
    let cursor = update;
    parsed.path.forEach((part, i) => {
      if (i === parsed.path.length - 1) cursor[part] = value;
      else cursor = (cursor[part] = {}) as Record<string, unknown>;
    });
    armadaMerge(target.data, update);
  }
  return problems;
}

function typedLike(current: unknown, text: string): unknown {
  if (typeof current === 'number' && /^-?\d+(\.\d+)?$/.test(text)) return Number(text);
  if (typeof current === 'boolean' && /^(true|false)$/i.test(text)) return text.toLowerCase() === 'true';
  return text;
}
