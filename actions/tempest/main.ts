import type { ActionContext } from '../lib/context.js';
import { loadProfile } from '../lib/profile/load.js';
import { readInputs } from './inputs.js';
import { resolveSettings, tempestAction } from './tempest.js';

export async function run(ctx: ActionContext): Promise<void> {
  const inputs = readInputs(ctx);
  if (inputs.adminPassword) ctx.setSecret(inputs.adminPassword);
  const profile = loadProfile(inputs.profile, ctx.workspace);
  await tempestAction(ctx, resolveSettings(inputs, profile, ctx));
}
