import { isMap, isScalar, isSeq, LineCounter, parseDocument, type Node } from 'yaml';

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

export interface ParsedYaml {
  value: unknown;
  /** JSON pointer (`/tempest/concurrency`) → location. The root is ''. */
  locations: Map<string, NodeLocation>;
  errors: { message: string; position: SourcePosition }[];
}

export function pointer(parts: readonly (string | number)[]): string {
  return parts.map((p) => `/${String(p).replace(/~/g, '~0').replace(/\//g, '~1')}`).join('');
}

/** Parses one YAML document and records the line and column of every key and value in it. */
export function parseYamlWithLocations(text: string, file: string): ParsedYaml {
  const lineCounter = new LineCounter();
  const doc = parseDocument(text, { lineCounter, prettyErrors: false, uniqueKeys: true });
  const at = (offset: number | undefined): SourcePosition => {
    const { line, col } = lineCounter.linePos(offset ?? 0);
    return { file, line, column: col };
  };
  const locations = new Map<string, NodeLocation>();
  const walk = (node: Node | null | undefined, path: (string | number)[], key?: SourcePosition) => {
    const value = at(node?.range?.[0]);
    locations.set(pointer(path), { key, value: node ? value : (key ?? value) });
    if (isMap(node)) {
      for (const item of node.items) {
        const keyNode = item.key as Node | null;
        const name = isScalar(keyNode) ? String(keyNode.value) : String(keyNode);
        walk(item.value as Node | null, [...path, name], at(keyNode?.range?.[0]));
      }
    } else if (isSeq(node)) {
      node.items.forEach((item, index) => walk(item as Node, [...path, index]));
    }
  };
  walk(doc.contents as Node | null, []);
  return {
    value: doc.toJS({ maxAliasCount: 1000 }),
    locations,
    errors: doc.errors.map((e) => ({ message: e.message.split('\n')[0], position: at(e.pos[0]) })),
  };
}

/** `['tempest', 'skip', 2, 'regex']` → `tempest.skip[2].regex`. */
export function dotted(parts: readonly (string | number)[]): string {
  return parts.map((p, i) => (typeof p === 'number' ? `[${p}]` : `${i ? '.' : ''}${p}`)).join('');
}
