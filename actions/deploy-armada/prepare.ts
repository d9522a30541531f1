/**
 * Everything both the plan and a deployment need, read once: inputs merged over the profile's
 * `armada` section, the manifest found, loaded and overridden. Shared by run() and `taco-ci plan`.
 */
import { existsSync } from 'node:fs';
import path from 'node:path';
import { UserError } from '../lib/errors.js';
import { packageRoot } from '../lib/package-root.js';
import { loadProfile, type Profile } from '../lib/profile/load.js';
import { loadManifest, parseImages, type LoadedManifest } from '../lib/armada/index.js';
import type { DeployArmadaInputs, EngineName } from './inputs.js';
import { readSettings, type ArmadaSettings } from './settings.js';

export interface Prepared {
  profile: Profile;
  settings: ArmadaSettings;
  engine: EngineName;
  manifestFile: string;
  targetManifest?: string;
  valuesFiles: string[];
  loaded: LoadedManifest;
  timeoutMs?: number;
  /** Secret values registered while reading (to blank them out of the plan output). */
  secrets: string[];
}

/** A manifest path: absolute, else relative to the workspace, else to the taco/actions checkout. */
export function resolveManifestPath(spec: string, workspace: string): string {
  if (path.isAbsolute(spec)) {
    if (!existsSync(spec)) throw new UserError(`Armada manifest ${spec} does not exist`);
    return spec;
  }
  const candidates = [path.resolve(workspace, spec), path.join(packageRoot(), spec)];
  const found = candidates.find((file) => existsSync(file));
  if (!found)
    throw new UserError(
      `Armada manifest ${JSON.stringify(spec)} not found (looked at ${candidates.join(' and ')})`,
    );
  return found;
}

export interface PrepareContext {
  env: Readonly<Record<string, string | undefined>>;
  workspace: string;
  setSecret(value: string): void;
}

export function prepare(
  ctx: PrepareContext,
  inputs: DeployArmadaInputs,
  options: { planning: boolean; profile?: Profile },
): Prepared {
  const secrets: string[] = [];
  const collecting = {
    env: ctx.env,
    setSecret: (value: string) => {
      secrets.push(value);
      ctx.setSecret(value);
    },
  };
  const profile = options.profile ?? loadProfile(inputs.profile || undefined, ctx.workspace);
  const settings = readSettings(profile, collecting, { planning: options.planning });
  const manifestSpec = inputs.manifest ?? settings.manifest;
  if (!manifestSpec) {
    throw new UserError(`No Armada manifest: set the manifest input or armada.manifest in ${profile.file}`);
  }
  const manifestFile = resolveManifestPath(manifestSpec, ctx.workspace);
  const valuesFiles = inputs.values.map((file) => {
    const resolved = path.resolve(ctx.workspace, file);
    if (!existsSync(resolved)) throw new UserError(`Input 'values': file ${resolved} does not exist`);
    return resolved;
  });
  const targetManifest = inputs.targetManifest ?? settings.targetManifest;
  const loaded = loadManifest({
    files: [manifestFile],
    placeholders: settings.placeholders,
    charts: settings.charts,
    images: inputs.images ? parseImages(inputs.images) : [],
    valuesFiles,
    set: inputs.set,
    targetManifest,
  });
  if (!options.planning) {
    const unset = loaded.placeholdersUsed.flatMap((name) => settings.unsetSecrets.get(name) ?? []);
    if (unset.length) throw new UserError(unset.join('\n'));
  }
  return {
    profile,
    settings,
    engine: inputs.engine ?? settings.engine ?? 'helm',
    manifestFile,
    targetManifest,
    valuesFiles,
    loaded,
    timeoutMs: inputs.timeoutMs ?? settings.timeoutMs,
    secrets,
  };
}
