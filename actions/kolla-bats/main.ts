import type { ActionContext } from '../lib/context.js';
import { JobFailure } from '../lib/errors.js';
import { loadProfile } from '../lib/profile/load.js';
import { Outputs, readInputs } from './inputs.js';
import { runStage } from './pipeline.js';
import { countTests } from './report.js';
import { resolveSettings } from './settings.js';
// The inputs action.yml declares: the entry warns about, and taco-ci refuses, any other.
export { Inputs } from './inputs.js';

export async function run(ctx: ActionContext): Promise<void> {
  const inputs = readInputs(ctx);
  const profile = loadProfile(inputs.profile || undefined, ctx.workspace);
  const settings = resolveSettings(ctx, inputs, profile);
  const result = await runStage(ctx, settings);

  // A dry run reports what it would build; a real run only the images that passed (and were pushed).
  const released = result.images.filter(
    (image) => image.status === 'passed' && (image.pushed || !settings.push || settings.dryRun),
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
  ctx.setOutput(Outputs.junit, result.junitFile ?? '');
  ctx.setOutput(Outputs.passed, result.passed);

  if (!result.passed) {
    const failed = result.images.filter((image) => !released.includes(image));
    throw new JobFailure(
      failed.length
        ? `kolla-bats: ${failed.length} of ${result.images.length} images did not pass: ${failed.map((i) => `${i.name} (${i.reason ?? i.status})`).join('; ')}`
        : 'kolla-bats: no image was built',
    );
  }
}
