/**
 * The third-party actions the workflows use, mapped to local folders: actions/checkout copies a
 * folder, upload-artifact and download-artifact keep one folder per artifact, laid out as the real
 * actions lay them out.
 */
import { cpSync, existsSync, mkdirSync, readdirSync, rmSync, statSync } from 'node:fs';
import path from 'node:path';
import picomatch from 'picomatch';
import { failed, type Runtime, type StepPlace, type StepResult } from './runtime.js';

export const TACO_ACTIONS_REPOSITORY = 'taco/actions';
/** What a checkout of taco/actions leaves out of the copy of this working tree. */
const NOT_CHECKED_OUT = new Set(['node_modules', '.git', '.tmp', 'test', 'bench']);

const ok = (outputs: Record<string, string> = {}): StepResult => ({
  outcome: 'success',
  outputs,
  env: {},
  paths: [],
});

export type BuiltinAction = 'checkout' | 'upload-artifact' | 'download-artifact';

export function builtinAction(uses: string): BuiltinAction | undefined {
  const m = /^actions\/(checkout|upload-artifact|download-artifact)@/.exec(uses);
  return m?.[1] as BuiltinAction | undefined;
}

export function runBuiltin(
  rt: Runtime,
  place: StepPlace,
  action: BuiltinAction,
  inputs: Record<string, string>,
  repository: string,
): StepResult {
  switch (action) {
    case 'checkout':
      return checkout(rt, place, inputs, repository);
    case 'upload-artifact':
      return uploadArtifact(rt, place, inputs);
    case 'download-artifact':
      return downloadArtifact(rt, place, inputs);
  }
}

function checkout(rt: Runtime, place: StepPlace, inputs: Record<string, string>, caller: string): StepResult {
  const repository = inputs.repository || caller;
  const target = path.resolve(place.workspace, inputs.path || '.');
  if (!target.startsWith(place.workspace))
    return failed(`checkout path ${inputs.path} is outside the workspace`);
  if (repository === TACO_ACTIONS_REPOSITORY) {
    // The ref (actions-ref) is not resolved: the actions that run are this working tree's.
    rmSync(target, { recursive: true, force: true });
    cpSync(rt.actionsRoot, target, {
      recursive: true,
      filter: (src) => src === rt.actionsRoot || !NOT_CHECKED_OUT.has(path.relative(rt.actionsRoot, src)),
    });
    rt.log(
      `[${place.label}] checked out ${repository} (this working tree; ref ${inputs.ref || 'default'} not resolved) into ${target}`,
    );
    return ok({ ref: inputs.ref ?? '' });
  }
  if (repository !== caller)
    return failed(
      `checkout of ${repository} is not modelled (only ${caller} and ${TACO_ACTIONS_REPOSITORY})`,
    );
  if (!rt.callerRepo)
    return failed(`checkout of the caller's repository ${caller}: no folder given for it (--repo)`);
  if (target !== place.workspace) rmSync(target, { recursive: true, force: true });
  cpSync(rt.callerRepo, target, { recursive: true, filter: (src) => path.basename(src) !== 'node_modules' });
  rt.log(`[${place.label}] checked out ${repository} from ${rt.callerRepo} into ${target}`);
  return ok();
}

function uploadArtifact(rt: Runtime, place: StepPlace, inputs: Record<string, string>): StepResult {
  const name = inputs.name || 'artifact';
  const patterns = (inputs.path ?? '')
    .split('\n')
    .map((l) => l.trim())
    .filter(Boolean);
  if (patterns.length === 0) return failed('upload-artifact: input path is required');
  const { root, files } = findFilesToUpload(
    patterns,
    place.workspace,
    inputs['include-hidden-files'] === 'true',
  );
  if (files.length === 0) {
    const mode = inputs['if-no-files-found'] || 'warn';
    const message = `No files were found with the provided path: ${patterns.join(', ')}. No artifacts will be uploaded.`;
    if (mode === 'error') return failed(message);
    if (mode === 'warn') rt.log(`[${place.label}] ::warning::${message}`);
    return ok();
  }
  const target = path.join(rt.artifactsDir, name);
  if (existsSync(target)) {
    if (inputs.overwrite !== 'true')
      return failed(`upload-artifact: an artifact named ${name} already exists in this run`);
    rmSync(target, { recursive: true });
  }
  for (const file of files) {
    const to = path.join(target, path.relative(root, file));
    mkdirSync(path.dirname(to), { recursive: true });
    cpSync(file, to);
  }
  const id = String(readdirSync(rt.artifactsDir).length);
  rt.log(`[${place.label}] uploaded artifact ${name}: ${files.length} file(s) from ${root}`);
  return ok({ 'artifact-id': id, 'artifact-url': `file://${target}` });
}

/**
 * upload-artifact's layout: files are stored relative to the least common ancestor of the search
 * paths (a glob's search path is its part before the first wildcard); a single file is stored by its
 * base name. `!pattern` lines exclude.
 */
function findFilesToUpload(
  patterns: string[],
  cwd: string,
  hidden: boolean,
): { root: string; files: string[] } {
  const include = patterns.filter((p) => !p.startsWith('!'));
  const exclude = patterns
    .filter((p) => p.startsWith('!'))
    .map((p) => picomatch(path.resolve(cwd, p.slice(1)), { dot: true }));
  const searchPaths: string[] = [];
  const files = new Set<string>();
  for (const pattern of include) {
    const full = path.resolve(cwd, pattern);
    const scan = picomatch.scan(full);
    const base = scan.isGlob ? scan.base : full;
    searchPaths.push(base);
    if (!existsSync(base)) continue;
    const match = scan.isGlob ? picomatch(full, { dot: hidden }) : () => true;
    for (const file of walk(base, hidden)) if (match(file)) files.add(file);
  }
  const kept = [...files].filter((f) => !exclude.some((ex) => ex(f))).sort();
  if (searchPaths.length === 1 && kept.length === 1 && kept[0] === searchPaths[0]) {
    return { root: path.dirname(kept[0]), files: kept };
  }
  return { root: commonAncestor(searchPaths), files: kept };
}

function walk(entry: string, hidden: boolean): string[] {
  if (!statSync(entry).isDirectory()) return [entry];
  return readdirSync(entry)
    .filter((name) => hidden || !name.startsWith('.'))
    .flatMap((name) => walk(path.join(entry, name), hidden));
}

function commonAncestor(paths: string[]): string {
  const split = paths.map((p) => p.split(path.sep));
  const common: string[] = [];
  for (let i = 0; split.every((parts) => i < parts.length && parts[i] === split[0][i]); i++)
    common.push(split[0][i]);
  return common.join(path.sep) || path.sep;
}

function downloadArtifact(rt: Runtime, place: StepPlace, inputs: Record<string, string>): StepResult {
  const target = path.resolve(place.workspace, inputs.path || '.');
  const available = existsSync(rt.artifactsDir) ? readdirSync(rt.artifactsDir).sort() : [];
  if (inputs.name) {
    if (!available.includes(inputs.name))
      return failed(`download-artifact: Artifact not found for name: ${inputs.name}`);
    cpSync(path.join(rt.artifactsDir, inputs.name), target, { recursive: true });
    return ok({ 'download-path': target });
  }
  const match = inputs.pattern ? picomatch(inputs.pattern) : () => true;
  const chosen = available.filter((name) => match(name));
  const merge = inputs['merge-multiple'] === 'true';
  for (const name of chosen) {
    cpSync(path.join(rt.artifactsDir, name), merge ? target : path.join(target, name), { recursive: true });
  }
  mkdirSync(target, { recursive: true });
  rt.log(
    `[${place.label}] downloaded ${chosen.length} artifact(s) into ${target}${merge ? ' (merged)' : ', one folder each'}`,
  );
  return ok({ 'download-path': target });
}
