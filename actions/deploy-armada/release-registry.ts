/**
 * Registry clients for deploying a release: the profile's `registry` section (the shared resolver)
 * gives the credentials and whether plain HTTP is allowed; they go only to the profile's registry
 * host, any other host is asked anonymously.
 */
import type { ActionContext } from '../lib/context.js';
import { verifyRelease, type VerifiedRelease } from './release.js';
import type { Profile } from '../lib/profile/load.js';
import {
  registryClients as clientsFor,
  type RegistryClients,
  resolveRegistryAccess,
} from '../lib/registry/access.js';

export type { RegistryClients } from '../lib/registry/access.js';

export function registryClients(
  ctx: Pick<ActionContext, 'env' | 'setSecret' | 'signal'>,
  profile: Profile | undefined,
  log: (line: string) => void,
): RegistryClients {
  const access = resolveRegistryAccess(ctx, {
    profile,
    inputNames: { registry: 'registry.url', username: 'registry.username', password: 'registry.password' },
  });
  return clientsFor(access, {
    signal: ctx.signal,
    log,
    setSecret: (value) => ctx.setSecret(value),
    env: ctx.env,
  });
}

/** Pulls and verifies the release before anything else: its manifest then stands in for a manifest file. */
export async function verifyReleaseInput(
  ctx: Pick<ActionContext, 'env' | 'setSecret' | 'signal' | 'group' | 'info' | 'debug'>,
  ref: string,
  profile: Profile,
  workDir: string,
): Promise<VerifiedRelease> {
  const clients = registryClients(ctx, profile, (line) => ctx.debug(line));
  try {
    return await ctx.group(`Verify release ${ref}`, () =>
      verifyRelease({ ref, clients, workDir, log: (line) => ctx.info(line) }),
    );
  } finally {
    clients.close();
  }
}
