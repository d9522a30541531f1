/**
 * Registry clients for deploying a release. The profile's `registry` section (the shared
 * resolver) gives the credentials and whether plain HTTP is allowed; they go only to the profile's
 * registry host, any other host is asked anonymously.
 */
import type { ActionContext } from '../lib/context.js';
import type { Profile } from '../lib/profile/load.js';
import { resolveRegistryAccess } from '../lib/registry/access.js';
import { RegistryClient } from '../lib/registry/client.js';

export interface RegistryClients {
  /** One client per host, created on first use. */
  forHost(host: string): RegistryClient;
  close(): void;
}

export function registryClients(
  ctx: Pick<ActionContext, 'env' | 'setSecret' | 'signal'>,
  profile: Profile | undefined,
  log: (line: string) => void,
): RegistryClients {
  const access = resolveRegistryAccess(ctx, {
    profile,
    inputNames: { registry: 'registry.url', username: 'registry.username', password: 'registry.password' },
  });
  const clients = new Map<string, RegistryClient>();
  return {
    forHost(host: string): RegistryClient {
      let client = clients.get(host);
      if (!client) {
        const own = host === access?.location.host;
        client = new RegistryClient({
          host,
          insecure: own && access.insecure,
          credentials: own ? access.credentials : undefined,
          signal: ctx.signal,
          log,
        });
        clients.set(host, client);
      }
      return client;
    },
    close() {
      for (const client of clients.values()) client.close();
    },
  };
}
