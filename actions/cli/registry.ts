import * as cookiemonster from '../cookiemonster/main.js';
import { plan as cookiemonsterPlan } from '../cookiemonster/plan.js';
import * as deployArmada from '../deploy-armada/main.js';
import { plan as deployArmadaPlan } from '../deploy-armada/plan.js';
import * as helmRally from '../helm-rally/main.js';
import { plan as helmRallyPlan } from '../helm-rally/plan.js';
import * as kollaBats from '../kolla-bats/main.js';
import { plan as kollaBatsPlan } from '../kolla-bats/plan.js';
import type { ActionModule } from '../lib/context.js';
import { UserError } from '../lib/errors.js';
import type { StagePlanner } from '../lib/plan.js';
import * as mirrorSync from '../mirror-sync/main.js';
import { plan as mirrorSyncPlan } from '../mirror-sync/plan.js';
import * as promoteVersion from '../promote-version/main.js';
import { plan as promoteVersionPlan } from '../promote-version/plan.js';
import * as tempest from '../tempest/main.js';
import { plan as tempestPlan } from '../tempest/plan.js';

/** The seven actions, in pipeline order. Each lives in actions/<name>/main.ts and <name>/action.yml. */
export const ACTION_NAMES = [
  'mirror-sync',
  'kolla-bats',
  'helm-rally',
  'deploy-armada',
  'tempest',
  'cookiemonster',
  'promote-version',
] as const;

export type ActionName = (typeof ACTION_NAMES)[number];

export function isActionName(name: string): name is ActionName {
  return (ACTION_NAMES as readonly string[]).includes(name);
}

// Imported statically: the bundled CLI is one file (ncc leaves lazily loaded chunks unminified).
const MAINS: Record<ActionName, ActionModule> = {
  'mirror-sync': mirrorSync,
  'kolla-bats': kollaBats,
  'helm-rally': helmRally,
  'deploy-armada': deployArmada,
  tempest,
  cookiemonster,
  'promote-version': promoteVersion,
};

const PLANNERS: Record<ActionName, StagePlanner> = {
  'mirror-sync': mirrorSyncPlan,
  'kolla-bats': kollaBatsPlan,
  'helm-rally': helmRallyPlan,
  'deploy-armada': deployArmadaPlan,
  tempest: tempestPlan,
  cookiemonster: cookiemonsterPlan,
  'promote-version': promoteVersionPlan,
};

export async function loadAction(name: string): Promise<ActionModule> {
  if (!isActionName(name)) {
    throw new UserError(`Unknown action ${JSON.stringify(name)}: expected one of ${ACTION_NAMES.join(', ')}`);
  }
  return MAINS[name];
}

/** The action's planner: what it would do with a profile, touching nothing. */
export function loadPlanner(name: ActionName): StagePlanner {
  return PLANNERS[name];
}
