/**
 * strategy.matrix expanded as GitHub documents it: the product of the keys' lists, minus each
 * `exclude` that matches, then each `include` added to every combination whose original values it
 * does not overwrite, or appended as a combination of its own when it fits none.
 */
import { UserError } from '../errors.js';
import type { Json } from './expressions.js';

export type Combination = Record<string, Json>;

const same = (a: Json, b: Json) => JSON.stringify(a) === JSON.stringify(b);

export function expandMatrix(matrix: Json | undefined, where: string): Combination[] {
  if (matrix === undefined || matrix === null) return [{}];
  if (typeof matrix !== 'object' || Array.isArray(matrix)) {
    throw new UserError(`${where}: strategy.matrix must be a mapping, got ${JSON.stringify(matrix)}`);
  }
  const { include = [], exclude = [], ...axes } = matrix;
  let combos: Combination[] = [{}];
  for (const [key, values] of Object.entries(axes)) {
    if (!Array.isArray(values) || values.length === 0) {
      throw new UserError(
        `${where}: strategy.matrix.${key} must be a non-empty list, got ${JSON.stringify(values)}`,
      );
    }
    combos = combos.flatMap((c) => values.map((v) => ({ ...c, [key]: v })));
  }
  if (Object.keys(axes).length === 0) combos = [];
  combos = combos.filter(
    (c) =>
      !asList(exclude, 'exclude', where).some((ex) => Object.entries(ex).every(([k, v]) => same(c[k], v))),
  );
  const originalKeys = Object.keys(axes);
  const originals = combos.map((c) => ({ ...c }));
  for (const entry of asList(include, 'include', where)) {
    let added = false;
    combos.forEach((combo, i) => {
      const fits = Object.entries(entry).every(
        ([k, v]) => !originalKeys.includes(k) || same(originals[i][k], v),
      );
      if (fits) {
        Object.assign(combo, entry);
        added = true;
      }
    });
    if (!added) {
      combos.push({ ...entry });
      originals.push({ ...entry });
    }
  }
  if (combos.length === 0) throw new UserError(`${where}: strategy.matrix gives no combination`);
  return combos;
}

function asList(value: Json, key: string, where: string): Combination[] {
  if (!Array.isArray(value) || value.some((v) => v === null || typeof v !== 'object' || Array.isArray(v))) {
    throw new UserError(`${where}: strategy.matrix.${key} must be a list of mappings`);
  }
  return value as Combination[];
}
