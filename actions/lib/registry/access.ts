import type { ActionContext } from '../context.js';
import { UserError } from '../errors.js';
import type { Profile } from '../profile/load.js';
import { resolveSecret, type SecretRef } from '../secrets.js';
import type { Credentials } from './auth.js';
import { RegistryClient, type RegistryClientOptions } from './client.js';
import { parseRegistryLocation, type RegistryLocation } from './reference.js';

/** The `registry:` profile section (profiles/schema/sections/registry.json), shared by every action. */
export interface RegistrySection {
  url: string;
  insecure?: boolean;
  username?: SecretRef;
  password?: SecretRef;
  'candidate-namespace'?: string;
  'release-namespace'?: string;
  /** Hosts besides the registry's own that may serve its Bearer tokens over plain HTTP. */
  'token-realms'?: string[];
}

/** Where the artifact store is and how to log in to it. */
export interface RegistryAccess {
  location: RegistryLocation;
  /** Plain HTTP: only when the profile says so for its own URL (loopback is always plain HTTP). */
  insecure: boolean;
  credentials?: Credentials;
  /** The profile's `registry.token-realms`, for its own host only. */
  tokenRealms: string[];
}

export interface RegistryAccessRequest {
  /** `host[:port][/namespace]` given as an input; '' or undefined = the profile's registry.url. */
  registry?: string;
  username?: string;
  password?: string;
  /** Names of the inputs, for errors (`registry`, `registry-username`, `registry-password`). */
  inputNames: { registry: string; username: string; password: string };
  profile?: Profile;
}

/**
 * Resolves the registry from an input (first) or the profile's `registry` section, with its
 * credentials (inputs, else the profile's `{env: NAME}` references, only for the profile's own
 * host), masked. Undefined when neither names a registry.
 */
export function resolveRegistryAccess(
  ctx: Pick<ActionContext, 'env' | 'setSecret'>,
  request: RegistryAccessRequest,
): RegistryAccess | undefined {
  const section = request.profile?.section<RegistrySection>('registry');
  const names = request.inputNames;
  const text = request.registry?.trim() || section?.url;
  if (!text) return undefined;
  const fromInput = !!request.registry?.trim();
  const location = parseRegistryLocation(
    text,
    fromInput ? `Input '${names.registry}'` : `${request.profile!.file}: registry.url`,
  );
  // The profile's credentials belong to the profile's registry: never send them to another host.
  const own =
    section && (!fromInput || location.host === parseRegistryLocation(section.url, 'registry.url').host)
      ? section
      : undefined;
  // A variable the profile names must be set: an anonymous attempt would fail later as a bare 401,
  // or pass silently against an anonymous registry.
  const secret = (key: 'username' | 'password', input: string | undefined) =>
    resolveSecret(
      ctx,
      input?.trim() || !own?.[key] ? `Input '${names[key]}'` : `${request.profile!.file} registry.${key}`,
      input,
      own?.[key],
      { required: own?.[key] !== undefined },
    );
  const username = secret('username', request.username);
  const password = secret('password', request.password);
  if ((username === undefined) !== (password === undefined)) {
    throw new UserError(
      `Registry credentials need both ${names.username} and ${names.password} (only one was given)`,
    );
  }
  return {
    location,
    insecure: own?.insecure === true,
    credentials: username !== undefined && password !== undefined ? { username, password } : undefined,
    tokenRealms: own?.['token-realms'] ?? [],
  };
}

/** Registry clients by host: the resolved access's credentials for its own host, anonymous elsewhere. */
export interface RegistryClients {
  /** One client per host, created on first use. */
  forHost(host: string): RegistryClient;
  close(): void;
}

export function registryClients(
  access: RegistryAccess | undefined,
  options: Pick<RegistryClientOptions, 'signal' | 'log' | 'setSecret' | 'env'> = {},
): RegistryClients {
  const clients = new Map<string, RegistryClient>();
  return {
    forHost(host) {
      let client = clients.get(host);
      if (!client) {
        const own = host === access?.location.host;
        client = new RegistryClient({
          ...options,
          host,
          insecure: own && access.insecure,
          credentials: own ? access.credentials : undefined,
          tokenRealms: own ? access.tokenRealms : [],
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
