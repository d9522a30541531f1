import { existsSync, readdirSync } from 'node:fs';
import path from 'node:path';
import { errorMessage } from '../lib/errors.js';
import { packageRoot } from '../lib/package-root.js';
import { formatProblem, loadProfile, ProfileError } from '../lib/profile/load.js';

export interface ValidateOptions {
  profile: string[];
  manifest: string[];
  workflows: boolean;
}

/** Every problem found, one located line each; empty when everything is valid. */
export async function validateAll(options: ValidateOptions): Promise<string[]> {
  const problems: string[] = [];
  const profiles = options.profile.length ? options.profile : builtinProfiles();
  for (const spec of profiles) {
    try {
      loadProfile(spec);
    } catch (err) {
      if (err instanceof ProfileError) problems.push(...err.problems.map((p) => formatProblem(p)));
      else problems.push(`${spec}: ${errorMessage(err)}`);
    }
  }
  for (const manifest of options.manifest) problems.push(...(await validateManifest(manifest)));
  if (options.workflows) problems.push(...(await validateWorkflowFiles()));
  return problems;
}

function builtinProfiles(): string[] {
  const dir = path.join(packageRoot(), 'profiles');
  return readdirSync(dir)
    .filter((f) => f.endsWith('.yaml'))
    .sort()
    .map((f) => path.join(dir, f));
}

async function validateManifest(file: string): Promise<string[]> {
  const source = path.join(packageRoot(), 'actions', 'deploy-armada', 'validate-manifest.ts');
  if (!existsSync(source))
    return [`${file}: Armada manifest validation is not available in this build (deploy-armada is missing)`];
  const modulePath = '../deploy-armada/validate-manifest.js';
  const { validateManifestFile } = (await import(modulePath)) as {
    validateManifestFile(file: string): Promise<string[]>;
  };
  return validateManifestFile(file);
}

async function validateWorkflowFiles(): Promise<string[]> {
  const { lintRepositoryWorkflows } = await import('./workflow-lint.js');
  return lintRepositoryWorkflows(packageRoot());
}
