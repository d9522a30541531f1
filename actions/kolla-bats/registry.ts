/**
 * The registry as this stage needs it, over the shared client (actions/lib/registry): is the
 * registry there and do the credentials work (before any build), and what digest does it report
 * for a pushed tag.
 */
import { ExternalError, UserError } from '../lib/errors.js';
import type { ProxyEnvironment } from '../lib/http/index.js';
import { RegistryClient as SharedClient } from '../lib/registry/client.js';
import { RegistryError } from '../lib/registry/errors.js';
import { isValidRepository, joinRepository, type RegistryLocation } from '../lib/registry/reference.js';

export { MANIFEST_ACCEPT } from '../lib/registry/media-types.js';
export { isLoopbackHost, parseRegistryLocation, type RegistryLocation } from '../lib/registry/reference.js';

export interface RegistryEndpoint extends RegistryLocation {
  insecure: boolean;
  username?: string;
  password?: string;
  /** The profile's `registry.token-realms` (plain-HTTP token servers besides the registry). */
  tokenRealms?: string[];
}

/** One path component of a repository name (an image name without a namespace). */
export function isValidRepositoryComponent(name: string): boolean {
  return !name.includes('/') && isValidRepository(name);
}

export function repositoryFor(location: RegistryLocation, image: string): string {
  return joinRepository(location.namespace, image);
}

/** `<host>[/<namespace>]/<image>:<tag>` */
export function imageReference(location: RegistryLocation, image: string, tag: string): string {
  return `${location.host}/${repositoryFor(location, image)}:${tag}`;
}

export class RegistryClient {
  private readonly client: SharedClient;
  private readonly base: string;

  constructor(
    private readonly endpoint: RegistryEndpoint,
    options: { timeoutMs?: number; setSecret?: (value: string) => void; env?: ProxyEnvironment } = {},
  ) {
    const { username, password } = endpoint;
    this.client = new SharedClient({
      host: endpoint.host,
      insecure: endpoint.insecure,
      credentials: username && password ? { username, password } : undefined,
      tokenRealms: endpoint.tokenRealms,
      setSecret: options.setSecret,
      env: options.env,
      timeoutMs: options.timeoutMs ?? 30_000,
      retry: { retries: 2 },
    });
    this.base = this.client.baseUrl;
  }

  /**
   * Reachable, and the credentials (if any) accepted, so a bad registry is found before anything is
   * built. Refused credentials are the caller's (a UserError); a registry that does not answer, or
   * answers with an error, failed (an ExternalError).
   */
  async check(): Promise<void> {
    try {
      await this.client.ping({ verifyCredentials: true });
    } catch (err) {
      if (!(err instanceof RegistryError)) throw err;
      if (err.details.network)
        throw new ExternalError('registry', `Registry ${this.base} is unreachable: ${err.message}`, {
          cause: err,
        });
      if (err.details.status === 401)
        throw new UserError(
          this.endpoint.username
            ? `Registry ${this.base} rejected the credentials of user ${JSON.stringify(this.endpoint.username)} (401)`
            : `Registry ${this.base} requires credentials (401): set registry-username and registry-password`,
        );
      throw new ExternalError('registry', `Registry ${this.base}: ${err.message}`, { cause: err });
    }
  }

  /** The digest the registry reports for `repository:reference`. */
  async manifestDigest(repository: string, reference: string): Promise<string> {
    const head = await this.client.headManifest(repository, reference);
    // HEAD carries no error body: a GET says why the manifest is not there.
    return head?.digest ?? (await this.client.getManifest(repository, reference)).digest;
  }

  /** Ends the keep-alive connections. */
  close(): void {
    this.client.close();
  }
}
