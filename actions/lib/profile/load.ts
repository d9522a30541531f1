import { existsSync, readFileSync, statSync } from 'node:fs';
import path from 'node:path';
import { UserError } from '../errors.js';
import { packageRoot } from '../package-root.js';
import { isPlainObject, deepMerge } from './merge.js';
import {
  dotted,
  formatLocated,
  formatPosition,
  type KeyPath,
  nearestLocation,
  type NodeLocation,
  pointer,
  type SourcePosition,
} from '../located.js';
import { parseYamlWithLocations } from './yaml-locations.js';
import { validateProfileData } from './validate.js';

/** One located problem in a profile: `profiles/dev.yaml:14:5 tempest.concurrency: expected …`. */
export interface ProfileProblem {
  position: SourcePosition;
  /** Dotted key path (`tempest.concurrency`), '' for the document itself. */
  keyPath: string;
  message: string;
}

export function formatProblem(problem: ProfileProblem, cwd = process.cwd()): string {
  return formatLocated(problem.position, problem.keyPath, problem.message, cwd);
}

export class ProfileError extends UserError {
  constructor(readonly problems: ProfileProblem[]) {
    super(
      `Profile is not valid (${problems.length} problem${problems.length === 1 ? '' : 's'}):\n` +
        problems.map((p) => `  ${formatProblem(p)}`).join('\n'),
    );
  }
}

/** The validated, merged profile. Sections are read through each action's own typed view. */
export interface Profile {
  name: string;
  /** The file it was loaded from (the most derived one). */
  file: string;
  /** Every file merged into it, base first. */
  files: string[];
  data: Record<string, unknown>;
  /** Where a key path (`['tempest', 'concurrency']`) was set, for errors found later by actions. */
  locate(keyPath: KeyPath): SourcePosition;
  /**
   * `profiles/dev.yaml:14:5 tempest.concurrency`: the place of a key path as every located message
   * starts (`${profile.where(keyPath)}: expected …`).
   */
  where(keyPath: KeyPath): string;
  /** A section, or undefined when the profile has none. */
  section<T>(name: string): T | undefined;
}

export const BUILTIN_PROFILE_DIR = (): string => path.join(packageRoot(), 'profiles');

/** A bare name (`dev`, `dev.yaml`) that may name a built-in profile, as opposed to a path. */
const isProfileName = (value: string): boolean => /^[\w.-]+$/.test(value);

/**
 * Resolves `--profile`/`profile:` values: a path (absolute or relative to `cwd`), or the name of a
 * built-in profile (`dev` → profiles/dev.yaml in this repository). Empty means the built-in `local`.
 */
export function resolveProfilePath(spec: string | undefined, cwd = process.cwd()): string {
  const value = spec?.trim() || 'local';
  const direct = path.resolve(cwd, value);
  if (isFile(direct)) return direct;
  if (isProfileName(value)) {
    const builtin = path.join(BUILTIN_PROFILE_DIR(), value.endsWith('.yaml') ? value : `${value}.yaml`);
    if (isFile(builtin)) return builtin;
  }
  throw new UserError(
    `Profile ${JSON.stringify(value)} not found: no file ${direct} and no built-in profile of that name in ${BUILTIN_PROFILE_DIR()}`,
  );
}

function isFile(file: string): boolean {
  return existsSync(file) && statSync(file).isFile();
}

interface Layer {
  data: Record<string, unknown>;
  locations: Map<string, NodeLocation>;
  files: string[];
}

export function loadProfile(spec: string | undefined, cwd = process.cwd()): Profile {
  const file = resolveProfilePath(spec, cwd);
  const problems: ProfileProblem[] = [];
  const layer = loadLayer(file, [], problems);
  delete layer.data.extends;
  // Schema errors on top of a syntax error would describe a document that is not what was meant.
  const unreadable = problems.some(
    (p) => p.message.startsWith('YAML syntax') || p.message === 'not a YAML mapping',
  );
  if (!unreadable) {
    problems.push(...validateProfileData(layer.data, (parts) => locateIn(layer, parts, file)));
  }
  if (problems.length > 0) throw new ProfileError(sortProblems(problems));
  const data = layer.data;
  return {
    name: typeof data.name === 'string' ? data.name : path.basename(file, path.extname(file)),
    file,
    files: layer.files,
    data,
    locate: (parts) => locateIn(layer, parts, file).value,
    where: (parts) => `${formatPosition(locateIn(layer, parts, file).value, cwd)} ${dotted(parts)}`,
    section: <T>(name: string) => data[name] as T | undefined,
  };
}

function loadLayer(file: string, chain: string[], problems: ProfileProblem[]): Layer {
  const text = readFileSync(file, 'utf8');
  const parsed = parseYamlWithLocations(text, file);
  for (const error of parsed.errors)
    problems.push({ position: error.position, keyPath: '', message: `YAML syntax: ${error.message}` });
  const own = parsed.value ?? {};
  if (!isPlainObject(own)) {
    problems.push({ position: { file, line: 1, column: 1 }, keyPath: '', message: 'not a YAML mapping' });
    return { data: {}, locations: parsed.locations, files: [file] };
  }
  let merged: Layer = { data: {}, locations: new Map(), files: [] };
  for (const [index, parent] of extendsList(own.extends).entries()) {
    const keyPath = Array.isArray(own.extends) ? ['extends', index] : ['extends'];
    const where = parsed.locations.get(pointer(keyPath))?.value ?? { file, line: 1, column: 1 };
    if (typeof parent !== 'string' || parent.trim() === '') {
      problems.push({
        position: where,
        keyPath: dotted(keyPath),
        message: `expected a profile file name, got ${JSON.stringify(parent)}`,
      });
      continue;
    }
    const parentFile = parentProfileFile(parent, file);
    if ([...chain, file].includes(parentFile)) {
      problems.push({
        position: where,
        keyPath: dotted(keyPath),
        message: `extends ${JSON.stringify(parent)} forms a cycle (${[...chain, file, parentFile].map((f) => path.basename(f)).join(' → ')})`,
      });
      continue;
    }
    if (!existsSync(parentFile)) {
      problems.push({
        position: where,
        keyPath: dotted(keyPath),
        message: `extends ${JSON.stringify(parent)}, but ${parentFile} does not exist${isProfileName(parent) ? ' and no built-in profile has that name' : ''}`,
      });
      continue;
    }
    const base = loadLayer(parentFile, [...chain, file], problems);
    merged = {
      data: deepMerge(merged.data, base.data),
      locations: new Map([...merged.locations, ...base.locations]),
      files: [...merged.files, ...base.files],
    };
  }
  delete merged.data.extends;
  return {
    data: deepMerge(merged.data, own),
    locations: new Map([...merged.locations, ...parsed.locations]),
    files: [...merged.files, file],
  };
}

/**
 * The file an `extends:` entry names: a file next to the extending one, else (for a bare name such
 * as `dev`) the built-in profile of that name, so that a caller's repository can extend ours. A
 * profile never extends itself: `dev.yaml` with `extends: dev` means the built-in dev.
 */
function parentProfileFile(parent: string, file: string): string {
  const name = parent.endsWith('.yaml') || parent.endsWith('.yml') ? parent : `${parent}.yaml`;
  const local = path.resolve(path.dirname(file), name);
  if (local !== file && existsSync(local)) return local;
  if (isProfileName(parent)) {
    const builtin = path.join(BUILTIN_PROFILE_DIR(), name);
    if (existsSync(builtin) && builtin !== file) return builtin;
  }
  return local;
}

function extendsList(value: unknown): unknown[] {
  if (value === undefined || value === null) return [];
  return Array.isArray(value) ? value : [value];
}

/** The location of a key path, or of its nearest ancestor that has one. */
function locateIn(layer: Layer, parts: KeyPath, file: string): NodeLocation {
  return nearestLocation(layer.locations, parts) ?? { value: { file, line: 1, column: 1 } };
}

function sortProblems(problems: ProfileProblem[]): ProfileProblem[] {
  return problems.sort(
    (a, b) =>
      a.position.file.localeCompare(b.position.file) ||
      a.position.line - b.position.line ||
      a.position.column - b.position.column,
  );
}
