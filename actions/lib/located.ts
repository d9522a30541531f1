/**
 * The one way to name a place in a YAML file (a profile, an Armada manifest): every key and value
 * of a parsed document mapped to its line and column, and every located message written
 * `file:line:col key: message`, the file relative to the working directory.
 */
import path from 'node:path';
import { isMap, isScalar, isSeq, type LineCounter, type Node } from 'yaml';

export interface SourcePosition {
  file: string;
  line: number;
  column: number;
}

/** Where a value came from: its key (for object members) and the value itself. */
export interface NodeLocation {
  key?: SourcePosition;
  value: SourcePosition;
}

export type KeyPath = readonly (string | number)[];

/** `['tempest', 'skip', 2]` → `/tempest/skip/2` (a JSON pointer: how locations are keyed). */
export function pointer(parts: KeyPath): string {
  return parts.map((p) => `/${String(p).replace(/~/g, '~0').replace(/\//g, '~1')}`).join('');
}

/** `['tempest', 'skip', 2, 'regex']` → `tempest.skip[2].regex`: how a key path is written in messages. */
export function dotted(parts: KeyPath): string {
  return parts.map((p, i) => (typeof p === 'number' ? `[${p}]` : `${i ? '.' : ''}${p}`)).join('');
}

/** The line and column of every key and value under `root`, keyed by `pointer(keyPath)` ('' is the root). */
export function yamlLocations(
  root: Node | null | undefined,
  lineCounter: LineCounter,
  file: string,
): Map<string, NodeLocation> {
  const at = (offset: number | undefined): SourcePosition => {
    const { line, col } = lineCounter.linePos(offset ?? 0);
    return { file, line, column: col };
  };
  const locations = new Map<string, NodeLocation>();
  const walk = (node: Node | null | undefined, parts: (string | number)[], key?: SourcePosition) => {
    const value = at(node?.range?.[0]);
    locations.set(pointer(parts), { key, value: node ? value : (key ?? value) });
    if (isMap(node)) {
      for (const item of node.items) {
        const keyNode = item.key as Node | null;
        const name = isScalar(keyNode) ? String(keyNode.value) : String(keyNode);
        walk(item.value as Node | null, [...parts, name], at(keyNode?.range?.[0]));
      }
    } else if (isSeq(node)) {
      node.items.forEach((item, index) => walk(item as Node, [...parts, index]));
    }
  };
  walk(root, []);
  return locations;
}

/** The location of a key path, or of its nearest located ancestor. */
export function nearestLocation(
  locations: ReadonlyMap<string, NodeLocation>,
  parts: KeyPath,
): NodeLocation | undefined {
  for (let n = parts.length; n >= 0; n--) {
    const found = locations.get(pointer(parts.slice(0, n)));
    if (found) return found;
  }
  return undefined;
}

/** `profiles/dev.yaml:14:5`: the file relative to `cwd` when it is inside it. */
export function formatPosition(position: SourcePosition, cwd: string): string {
  const relative = path.isAbsolute(position.file) ? path.relative(cwd, position.file) : position.file;
  const file = relative && !relative.startsWith('..') ? relative : position.file;
  return `${file}:${position.line}:${position.column}`;
}

/** `profiles/dev.yaml:14:5 tempest.concurrency: expected …` (no key: `file:line:col message`). */
export function formatLocated(position: SourcePosition, key: string, message: string, cwd: string): string {
  return `${formatPosition(position, cwd)} ${key ? `${key}: ` : ''}${message}`;
}
