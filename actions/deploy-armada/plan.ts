/** deploy-armada's part of `taco-ci plan`: the deployment plan of the profile's manifest. */
import type { PlanNode } from '../lib/plan.js';
import type { Profile } from '../lib/profile/load.js';
import { planTree } from './plan-view.js';
import { prepare } from './prepare.js';

export function plan(profile: Profile, cwd: string): PlanNode {
  // Planning reads no secret: references to unset variables show as markers.
  const prepared = prepare(
    { env: {}, workspace: cwd, setSecret: () => undefined },
    { profile: profile.file, values: [], set: [], dryRun: true },
    { planning: true, profile },
  );
  const tree = planTree({
    loaded: prepared.loaded,
    manifestFile: prepared.manifestFile,
    engine: prepared.engine,
    concurrency: prepared.settings.concurrency,
    timeoutMs: prepared.timeoutMs,
    secrets: prepared.secrets,
    cwd,
  });
  const unset = prepared.settings.missingSecrets.map((s) => `secret not read while planning: ${s}`);
  return {
    ...tree,
    title: `deploy ${tree.title} with ${prepared.engine}`,
    details: [...(tree.details ?? []), ...unset],
  };
}
