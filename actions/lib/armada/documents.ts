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
  const parsed: ParsedManifestFile = { file, documents: [], problems: [], spans: [] };
  // An empty stream gives an EmptyStream; nothing to deploy is reported by the model.
  const list = Array.isArray(docs) ? docs : [];
  list.forEach((doc, index) => readDocument(parsed, doc, index, lineCounter));
  return parsed;
}

type Locate = ArmadaDocument['locate'];

/** Adds one YAML document of the file to `parsed`: an Armada document, a problem, or nothing. */
function readDocument(
  parsed: ParsedManifestFile,
  doc: Document.Parsed,
  index: number,
  lineCounter: LineCounter,
): void {
  const { file } = parsed;
  const pos = (offset: number | undefined): Position => {
    const { line, col } = lineCounter.linePos(offset ?? 0);
    return { line, column: col };
  };
  for (const error of doc.errors) {
    parsed.problems.push({
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
  if (value === null || value === undefined) return;
  const { range } = doc;
  const first = pos(range[0]).line;
  const last = pos(Math.max(range[0], range[1] - 1)).line;
  const where = yamlLocations(doc.contents as Node, lineCounter, file);
  // A key path is placed at its key (a member) or its value (a list item, the root).
  const locate: Locate = (parts) => {
    const found = nearestLocation(where, parts);
    const at = found ? (found.key ?? found.value) : undefined;
    return at ? { line: at.line, column: at.column } : { line: first, column: 1 };
  };
  if (typeof value !== 'object' || Array.isArray(value)) {
    const message = 'expected a mapping with schema, metadata and data';
    parsed.problems.push({
      severity: 'error',
      file,
      ...locate([]),
      document: `document ${index + 1}`,
      keyPath: '',
      message,
    });
    return;
  }
  const object = value as Record<string, unknown>;
  const metadata = object.metadata as Record<string, unknown> | undefined;
  const name = typeof metadata?.name === 'string' ? metadata.name : undefined;
  const { kind } = schemaKind(object.schema);
  const label = `${kind ?? String(object.schema ?? 'document')} ${name ?? `#${index + 1}`}`;
  parsed.spans.push({ first, last, label });
  const problem = armadaProblem(object, name);
  if (problem) {
    parsed.problems.push({
      severity: 'error',
      file,
      ...locate(problem.at),
      document: label,
      ...problem.says,
    });
    return;
  }
  if (!kind || !name) return;
  const data = object.data as Record<string, unknown>;
  const schema = object.schema as string;
  parsed.documents.push({
    kind,
    name,
    schema,
    data,
    metadata: metadata ?? {},
    file,
    index,
    locate,
    label: `${kind} ${name}`,
  });
}

/** What makes an Armada document unusable (an unsupported schema, no name, no data), if anything. */
function armadaProblem(
  object: Record<string, unknown>,
  name: string | undefined,
): { at: string[]; says: { keyPath: string; message: string } } | undefined {
  const { kind, version } = schemaKind(object.schema);
  if (
    typeof object.schema === 'string' &&
    object.schema.startsWith('armada/') &&
    (!kind || version !== 'v1')
  ) {
    const message = `unsupported schema ${JSON.stringify(object.schema)}: expected armada/Chart/v1, armada/ChartGroup/v1 or armada/Manifest/v1`;
    return { at: ['schema'], says: { keyPath: 'schema', message } };
  }
  if (!kind) return undefined;
  if (!name) {
    const message = 'required: every Armada document is referenced by metadata.name';
    return { at: ['metadata'], says: { keyPath: 'metadata.name', message } };
  }
  const data = object.data;
  if (typeof data !== 'object' || data === null || Array.isArray(data)) {
    const message = `expected a mapping, got ${data === undefined ? 'nothing' : JSON.stringify(data)}`;
    return { at: ['data'], says: { keyPath: 'data', message } };
  }
  return undefined;
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
