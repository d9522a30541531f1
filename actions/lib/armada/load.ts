/**
 * The whole way from manifest files to a deployment model: placeholders, YAML with locations,
 * schema validation, the profile's per-chart values and built image tags, the run's `values`
 * files and `set` overrides, then the target manifest's model. Every problem is located; any
 * error throws ManifestError listing all of them.
 */
import { readFileSync } from 'node:fs';
import { stringify } from 'yaml';
import { deepMerge } from '../profile/merge.js';
import { parseManifestText, type ArmadaDocument } from './documents.js';
import { applyImageTags, type BuiltImage, type ImageTagChange } from './images.js';
import { buildModel, type DeploymentModel } from './model.js';
import { applySetOverrides, applyValuesFiles } from './overrides.js';
import { substitutePlaceholders, type PlaceholderSettings } from './placeholders.js';
import { hasErrors, ManifestError, type ManifestProblem } from './problems.js';
import { validateDocument } from './schema.js';

export interface ChartProfileSettings {
  /** Helm values deep-merged over the chart document's `values`. */
  values?: Record<string, unknown>;
  /** `images.tags` key → built image name, for entries the manifest does not name by repository. */
  imageTags?: Record<string, string>;
}

export interface LoadOptions {
  /** Manifest files; their documents form one set, as if concatenated. */
  files: string[];
  placeholders?: PlaceholderSettings;
  /** Per Chart document name (metadata.name). */
  charts?: Record<string, ChartProfileSettings>;
  images?: BuiltImage[];
  valuesFiles?: string[];
  set?: string[];
  targetManifest?: string;
}

export interface LoadedManifest {
  model: DeploymentModel;
  /** Documents with every override applied. */
  documents: ArmadaDocument[];
  /** The manifest as Armada should get it: placeholders, profile values and image tags applied, but not the run's values/set (Armada applies those itself). */
  renderedForArmada: string;
  imageChanges: ImageTagChange[];
  warnings: ManifestProblem[];
  /** Placeholder names that were filled. */
  placeholdersUsed: string[];
}

function readManifest(file: string): string {
  try {
    return readFileSync(file, 'utf8');
  } catch (err) {
    const code = (err as NodeJS.ErrnoException).code;
    throw new ManifestError([
      {
        severity: 'error',
        file,
        line: 1,
        column: 1,
        document: '',
        keyPath: '',
        message:
          code === 'ENOENT'
            ? 'manifest file does not exist'
            : `manifest file cannot be read (${code ?? (err as Error).message})`,
      },
    ]);
  }
}

export function renderDocuments(documents: ArmadaDocument[]): string {
  return documents
    .map(
      (doc) =>
        `---\n${stringify({ schema: doc.schema, metadata: doc.metadata, data: doc.data }, { lineWidth: 0 })}`,
    )
    .join('');
}

/** Validates without overrides: what `taco-ci validate --manifest` reports (placeholders are not errors there). */
export function checkManifestFile(file: string): ManifestProblem[] {
  const parsed = parseManifestText(readManifest(file), file);
  const problems = [...parsed.problems, ...parsed.documents.flatMap(validateDocument)];
  if (!hasErrors(problems)) {
    const manifests = parsed.documents.filter((d) => d.kind === 'Manifest');
    // Every manifest must resolve; with several, each is checked as a possible target.
    const targets = manifests.length > 1 ? manifests.map((m) => m.name) : [undefined];
    for (const target of targets) problems.push(...buildModel(parsed.documents, target).problems);
  }
  return dedupe(problems);
}

function dedupe(problems: ManifestProblem[]): ManifestProblem[] {
  const seen = new Set<string>();
  return problems.filter((p) => {
    const key = `${p.file}:${p.line}:${p.column}:${p.keyPath}:${p.message}`;
    if (seen.has(key)) return false;
    seen.add(key);
    return true;
  });
}

function labelByLine(
  problems: ManifestProblem[],
  spans: { first: number; last: number; label: string }[],
): void {
  for (const problem of problems) {
    if (problem.document) continue;
    const span = spans.find((s) => problem.line >= s.first && problem.line <= s.last);
    if (span) problem.document = span.label;
  }
}

export function loadManifest(options: LoadOptions): LoadedManifest {
  const problems: ManifestProblem[] = [];
  const documents: ArmadaDocument[] = [];
  const used = new Set<string>();
  for (const file of options.files) {
    const text = readManifest(file);
    const substituted = options.placeholders
      ? substitutePlaceholders(text, file, options.placeholders)
      : { text, used: new Map<string, number[]>(), problems: [] };
    const parsed = parseManifestText(substituted.text, file);
    labelByLine(substituted.problems, parsed.spans);
    substituted.used.forEach((_lines, name) => used.add(name));
    problems.push(...substituted.problems, ...parsed.problems);
    documents.push(...parsed.documents);
  }
  problems.push(...documents.flatMap(validateDocument));
  if (hasErrors(problems)) throw new ManifestError(dedupe(problems));

  const imageChanges: ImageTagChange[] = [];
  for (const doc of documents.filter((d) => d.kind === 'Chart')) {
    const settings = options.charts?.[doc.name];
    if (settings?.values)
      doc.data.values = deepMerge((doc.data.values ?? {}) as Record<string, unknown>, settings.values);
    if (options.images?.length) {
      const values = (doc.data.values ??= {}) as Record<string, unknown>;
      imageChanges.push(...applyImageTags(doc.name, values, options.images, settings?.imageTags));
    }
  }
  for (const name of Object.keys(options.charts ?? {})) {
    if (!documents.some((d) => d.kind === 'Chart' && d.name === name)) {
      problems.push({
        severity: 'warning',
        file: options.files[0] ?? '',
        line: 1,
        column: 1,
        document: '',
        keyPath: '',
        message: `the profile sets armada.charts.${name}, but the manifest has no Chart document of that name`,
      });
    }
  }
  const renderedForArmada = renderDocuments(documents);

  problems.push(...applyValuesFiles(documents, options.valuesFiles ?? []));
  problems.push(...applySetOverrides(documents, options.set ?? [], "input 'set'"));
  if (options.valuesFiles?.length || options.set?.length) {
    // Overrides can break a document (a string where Armada wants a number): check again.
    problems.push(...documents.flatMap(validateDocument).filter((p) => p.severity === 'error'));
  }
  const built = buildModel(documents, options.targetManifest);
  problems.push(...built.problems);
  if (hasErrors(problems) || !built.model) throw new ManifestError(dedupe(problems));
  return {
    model: built.model,
    documents,
    renderedForArmada,
    imageChanges,
    warnings: dedupe(problems),
    placeholdersUsed: [...used].sort(),
  };
}
