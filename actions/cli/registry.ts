import type { ActionModule } from '../lib/context.js';
import { UserError } from '../lib/errors.js';

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

export async function loadAction(name: string): Promise<ActionModule> {
  if (!isActionName(name)) {
    throw new UserError(`Unknown action ${JSON.stringify(name)}: expected one of ${ACTION_NAMES.join(', ')}`);
  }
  try {
    return (await import(`../${name}/main.js`)) as ActionModule;
  } catch (err) {
    if (
      (err as NodeJS.ErrnoException).code === 'ERR_MODULE_NOT_FOUND' &&
      String(err).includes(`/${name}/main.`)
    ) {
      throw new Error(
        `The ${name} action is not part of this checkout yet (actions/${name}/main.ts is missing)`,
      );
    }
    throw err;
  }
}
