import type { ActionContext } from '../lib/context.js';
import { loadProfile } from '../lib/profile/load.js';
import { readInputs } from './inputs.js';
import { resolveSettings, tempestAction } from './tempest.js';
// The inputs action.yml declares: the entry warns about, and taco-ci refuses, any other.
export { Inputs } from './inputs.js';

export async function run(ctx: ActionContext): Promise<void> {
  const inputs = readInputs(ctx);
  if (inputs.adminPassword) ctx.setSecret(inputs.adminPassword);
  const profile = loadProfile(inputs.profile, ctx.workspace);
  await tempestAction(ctx, resolveSettings(inputs, profile, ctx));
}
