import { LineCounter, parseDocument, type Node } from 'yaml';
import { type NodeLocation, type SourcePosition, yamlLocations } from '../located.js';

export interface ParsedYaml {
  value: unknown;
  /** JSON pointer (`/tempest/concurrency`) → location. The root is ''. */
  locations: Map<string, NodeLocation>;
  errors: { message: string; position: SourcePosition }[];
}

/** Parses one YAML document and records the line and column of every key and value in it. */
export function parseYamlWithLocations(text: string, file: string): ParsedYaml {
  const lineCounter = new LineCounter();
  const doc = parseDocument(text, { lineCounter, prettyErrors: false, uniqueKeys: true });
  const at = (offset: number): SourcePosition => {
    const { line, col } = lineCounter.linePos(offset);
    return { file, line, column: col };
  };
  return {
    value: doc.toJS({ maxAliasCount: 1000 }),
    locations: yamlLocations(doc.contents as Node | null, lineCounter, file),
    errors: doc.errors.map((e) => ({ message: e.message.split('\n')[0], position: at(e.pos[0]) })),
  };
}
