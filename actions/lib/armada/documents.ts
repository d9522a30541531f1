/**
 * Multi-document Armada YAML with the position of every key and value, so that every later problem
 * (schema, references, overrides, placeholders) can name file, line, document and key path.
 */
import { type Document, LineCounter, parseAllDocuments, type Node } from 'yaml';
import { nearestLocation, yamlLocations } from '../located.js';
import type { ManifestProblem } from './problems.js';

export const ARMADA_KINDS = ['Chart', 'ChartGroup', 'Manifest'] as const;
export type ArmadaKind = (typeof ARMADA_KINDS)[number];

export interface Position {
  line: number;
  column: number;
}

/** One `schema: armada/<Kind>/v1` document. `data` is mutable: overrides are applied to it. */
export interface ArmadaDocument {
  kind: ArmadaKind;
  name: string;
  schema: string;
  data: Record<string, unknown>;
  /** The document's metadata as written (kept to render the manifest again). */
  metadata: Record<string, unknown>;
  file: string;
  /** 0-based index of the document in its file. */
  index: number;
  /** Position of a key path (from the document root: ['data', 'wait', 'timeout']); nearest ancestor if unknown. */
  locate(keyPath: readonly (string | number)[]): Position;
  /** `Chart keystone` */
  label: string;
}

export interface ParsedManifestFile {
  file: string;
  documents: ArmadaDocument[];
  problems: ManifestProblem[];
  /** First and last line of each parsed document (for placing placeholder problems). */
  spans: { first: number; last: number; label: string }[];
}

export function schemaKind(schema: unknown): { kind?: ArmadaKind; version?: string } {
  if (typeof schema !== 'string') return {};
  const match = /^armada\/(Chart|ChartGroup|Manifest)\/(v\d+)$/.exec(schema);
  return match ? { kind: match[1] as ArmadaKind, version: match[2] } : {};
}

/** Parses the YAML text of one manifest file; non-Armada documents are skipped (Armada ignores them too). */
export function parseManifestText(text: string, file: string): ParsedManifestFile {
  const lineCounter = new LineCounter();
  const docs = parseAllDocuments(text, { lineCounter, prettyErrors: false, uniqueKeys: true });
  const problems: ManifestProblem[] = [];
  const documents: ArmadaDocument[] = [];
  const spans: ParsedManifestFile['spans'] = [];
  const list = Array.isArray(docs) ? docs : [];
  if (!Array.isArray(docs)) {
    // An empty stream gives an EmptyStream; nothing to deploy is reported by the model.
  }
  list.forEach((doc, index) => {
    const pos = (offset: number | undefined) => {
      const { line, col } = lineCounter.linePos(offset ?? 0);
      return { line, column: col };
    };
    for (const error of doc.errors) {
      problems.push({
        severity: 'error',
        file,
        ...pos(error.pos[0]),
        document: '',
        keyPath: '',
        message: `YAML syntax: ${error.message.split('\n')[0]}`,
      });
    }
    if (doc.errors.length) return;
    const value = doc.toJS({ maxAliasCount: 1000 }) as unknown;
    const first = pos(doc.range[0]).line;
    const last = pos(Math.max(doc.range[0], doc.range[1] - 1)).line;
    if (value === null || value === undefined) return;
    const where = yamlLocations(doc.contents as Node, lineCounter, file);
    // A key path is placed at its key (a member) or its value (a list item, the root).
    const locate = (parts: readonly (string | number)[]): Position => {
      const found = nearestLocation(where, parts);
      const at = found ? (found.key ?? found.value) : undefined;
      return at ? { line: at.line, column: at.column } : { line: first, column: 1 };
    };
    if (typeof value !== 'object' || Array.isArray(value)) {
      problems.push({
        severity: 'error',
        file,
        ...locate([]),
        document: `document ${index + 1}`,
        keyPath: '',
        message: 'expected a mapping with schema, metadata and data',
      });
      return;
    }
    const object = value as Record<string, unknown>;
    const metadata = object.metadata as Record<string, unknown> | undefined;
    const name = typeof metadata?.name === 'string' ? metadata.name : undefined;
    const { kind, version } = schemaKind(object.schema);
    const label = `${kind ?? String(object.schema ?? 'document')} ${name ?? `#${index + 1}`}`;
    spans.push({ first, last, label });
    if (
      typeof object.schema === 'string' &&
      object.schema.startsWith('armada/') &&
      (!kind || version !== 'v1')
    ) {
      problems.push({
        severity: 'error',
        file,
        ...locate(['schema']),
        document: label,
        keyPath: 'schema',
        message: `unsupported schema ${JSON.stringify(object.schema)}: expected armada/Chart/v1, armada/ChartGroup/v1 or armada/Manifest/v1`,
      });
      return;
    }
    if (!kind) return;
    if (!name) {
      problems.push({
        severity: 'error',
        file,
        ...locate(['metadata']),
        document: label,
        keyPath: 'metadata.name',
        message: 'required: every Armada document is referenced by metadata.name',
      });
      return;
    }
    const data = object.data;
    if (typeof data !== 'object' || data === null || Array.isArray(data)) {
      problems.push({
        severity: 'error',
        file,
        ...locate(['data']),
        document: label,
        keyPath: 'data',
        message: `expected a mapping, got ${data === undefined ? 'nothing' : JSON.stringify(data)}`,
      });
      return;
    }
    documents.push({
      kind,
      name,
      schema: object.schema as string,
      data: data as Record<string, unknown>,
      metadata: metadata ?? {},
      file,
      index,
      locate,
      label: `${kind} ${name}`,
    });
  });
  return { file, documents, problems, spans };
}

/** Edited YAML documents back to one multi-document stream, each opened by `---`, lines never folded. */
export function stringifyDocuments(documents: readonly Document[]): string {
  return documents
    .map((doc) => {
      const out = doc.toString({ lineWidth: 0 });
      return out.startsWith('---') ? out : `---\n${out}`;
    })
    .join('');
}
