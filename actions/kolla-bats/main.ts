import type { ActionContext } from '../lib/context.js';
import { forgetEnvironment } from '../lib/environ.js';
import { JobFailure } from '../lib/errors.js';
import { isSecretRef } from '../lib/secrets.js';
import { loadProfile } from '../lib/profile/load.js';
import { Inputs, Outputs, readInputs } from './inputs.js';
import { runStage } from './pipeline.js';
import { countTests } from './report.js';
import { resolveSettings } from './settings.js';
// The inputs action.yml declares: the entry warns about, and taco-ci refuses, any other.
export { Inputs } from './inputs.js';

export async function run(ctx: ActionContext): Promise<void> {
  const inputs = readInputs(ctx);
  const profile = loadProfile(inputs.profile || undefined, ctx.workspace);
  const settings = resolveSettings(ctx, inputs, profile);
  // Read once, then gone from this process's environment: builds and bats suites of the branch
  // under test that look at their parent's environment find no registry password.
  const passwordRef = profile.section<{ password?: unknown }>('registry')?.password;
  if (
    !forgetEnvironment([
      `INPUT_${Inputs.registryPassword.toUpperCase()}`,
      ...(isSecretRef(passwordRef) ? [passwordRef.env] : []),
    ])
  )
    ctx.debug(
      'Could not clear the registry password from /proc/self/environ (removed from process.env only)',
    );
  const result = await runStage(ctx, settings);

  // Only images that were built, tested and (when pushing) pushed; a dry run's plan goes to `planned`.
  const released = result.images.filter(
    (image) => image.status === 'passed' && (image.pushed || !settings.push),
  );
  ctx.setOutput(
    Outputs.images,
    released.map((image) => ({
      name: image.name,
      ref: image.reference,
      digest: image.digest ?? null,
      tests: countTests(image.suites),
    })),
  );
  ctx.setOutput(
    Outputs.planned,
    result.images
      .filter((image) => image.status === 'planned')
      .map((image) => ({ name: image.name, ref: image.reference, status: image.status })),
  );
  ctx.setOutput(Outputs.junit, result.junitFile ?? '');
  ctx.setOutput(Outputs.passed, result.passed);

  if (settings.dryRun) return;
  if (!result.passed) {
    const failed = result.images.filter((image) => !released.includes(image));
    throw new JobFailure(
      failed.length
        ? `kolla-bats: ${failed.length} of ${result.images.length} images did not pass: ${failed.map((i) => `${i.name} (${i.reason ?? i.status})`).join('; ')}`
        : 'kolla-bats: no image was built',
    );
  }
}
