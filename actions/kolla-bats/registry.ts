/**
 * Just enough of the registry HTTP API (distribution spec v2) for this stage: is the registry
 * there and do the credentials work (before any build), and what digest does it report for a
 * pushed tag. Basic auth and the bearer-token flow (`WWW-Authenticate: Bearer realm=…`) are both
 * handled, as real registries use the latter.
 */
import { UserError } from '../lib/errors.js';

export interface RegistryLocation {
  /** host[:port] */
  host: string;
  /** Repository prefix without leading/trailing slashes; '' for none. */
  namespace: string;
}

export interface RegistryEndpoint extends RegistryLocation {
  insecure: boolean;
  username?: string;
  password?: string;
}

const HOST =
  /^[A-Za-z0-9](?:[A-Za-z0-9-]*[A-Za-z0-9])?(?:\.[A-Za-z0-9](?:[A-Za-z0-9-]*[A-Za-z0-9])?)*(?::\d{1,5})?$/;
const COMPONENT = /^[a-z0-9]+(?:(?:[._]|__|-+)[a-z0-9]+)*$/;

/** Parses `host[:port][/namespace]`; `what` names the setting in errors. */
export function parseRegistryLocation(text: string, what: string): RegistryLocation {
  const value = text.trim().replace(/\/+$/, '');
  const slash = value.indexOf('/');
  const host = slash === -1 ? value : value.slice(0, slash);
  const namespace = slash === -1 ? '' : value.slice(slash + 1);
  if (!HOST.test(host) || (namespace !== '' && !namespace.split('/').every((part) => COMPONENT.test(part)))) {
    throw new UserError(
      `${what}: expected a registry reference host[:port][/namespace] (lower-case namespace, no scheme), got ${JSON.stringify(text)}`,
    );
  }
  return { host, namespace };
}

export function isValidRepositoryComponent(name: string): boolean {
  return COMPONENT.test(name);
}

export function isLoopbackHost(host: string): boolean {
  const name = host.replace(/:\d+$/, '');
  return name === 'localhost' || /^127\./.test(name) || name === '[::1]';
}

export function repositoryFor(location: RegistryLocation, image: string): string {
  return [location.namespace, image].filter(Boolean).join('/');
}

/** `<host>[/<namespace>]/<image>:<tag>` */
export function imageReference(location: RegistryLocation, image: string, tag: string): string {
  return `${location.host}/${repositoryFor(location, image)}:${tag}`;
}

/** Sent with manifest requests: without it a registry may convert to schema 1, with another digest. */
export const MANIFEST_ACCEPT = [
  'application/vnd.oci.image.index.v1+json',
  'application/vnd.oci.image.manifest.v1+json',
  'application/vnd.docker.distribution.manifest.list.v2+json',
  'application/vnd.docker.distribution.manifest.v2+json',
].join(', ');

export class RegistryClient {
  private readonly base: string;
  private readonly tokens = new Map<string, string>();

  constructor(
    private readonly endpoint: RegistryEndpoint,
    private readonly timeoutMs = 30_000,
  ) {
    this.base = `${endpoint.insecure ? 'http' : 'https'}://${endpoint.host}`;
  }

  /**
   * `GET /v2/`: reachable, and the credentials (if any) accepted. Throws a UserError that says
   * which of those failed, so a bad registry is found before anything is built.
   */
  async check(): Promise<void> {
    let res: Response;
    try {
      res = await this.request('GET', '/v2/', 'registry:catalog:*');
    } catch (err) {
      throw new UserError(`Registry ${this.base} is unreachable: ${describeNetworkError(err)}`);
    }
    if (res.status === 401) {
      throw new UserError(
        this.endpoint.username
          ? `Registry ${this.base} rejected the credentials of user ${JSON.stringify(this.endpoint.username)} (401)`
          : `Registry ${this.base} requires credentials (401): set registry-username and registry-password`,
      );
    }
    if (res.status !== 200)
      throw new UserError(`Registry ${this.base} answered GET /v2/ with HTTP ${res.status}; expected 200`);
  }

  /** The digest the registry reports for `repository:reference` (HEAD, falling back to GET). */
  async manifestDigest(repository: string, reference: string): Promise<string> {
    const path = `/v2/${repository}/manifests/${reference}`;
    // HEAD is cheap; a registry that omits the digest on HEAD, or an error (whose code only a body carries), gets a GET.
    const head = await this.request('HEAD', path, `repository:${repository}:pull`, {
      Accept: MANIFEST_ACCEPT,
    });
    const headDigest = head.headers.get('docker-content-digest');
    if (head.ok && headDigest) return headDigest;
    const res = await this.request('GET', path, `repository:${repository}:pull`, { Accept: MANIFEST_ACCEPT });
    const digest = res.headers.get('docker-content-digest');
    if (!res.ok)
      throw new Error(`GET ${this.base}${path} answered HTTP ${res.status}${await errorCode(res)}`);
    await res.arrayBuffer();
    if (digest) return digest;
    throw new Error(`${this.base}${path} reports no Docker-Content-Digest`);
  }

  private async request(
    method: string,
    path: string,
    scope: string,
    headers: Record<string, string> = {},
  ): Promise<Response> {
    const send = (authorization?: string) =>
      fetch(`${this.base}${path}`, {
        method,
        headers: { ...headers, ...(authorization ? { Authorization: authorization } : {}) },
        signal: AbortSignal.timeout(this.timeoutMs),
      });
    const cached = this.tokens.get(scope);
    let res = await send(cached ?? this.basicAuth());
    if (res.status !== 401) return res;
    const challenge = res.headers.get('www-authenticate') ?? '';
    if (!/^bearer\s/i.test(challenge)) return res;
    await res.arrayBuffer();
    const token = await this.fetchToken(challenge, scope);
    if (!token) return res;
    this.tokens.set(scope, `Bearer ${token}`);
    res = await send(`Bearer ${token}`);
    return res;
  }

  private basicAuth(): string | undefined {
    const { username, password } = this.endpoint;
    return username && password
      ? `Basic ${Buffer.from(`${username}:${password}`).toString('base64')}`
      : undefined;
  }

  /** The token flow of the distribution spec: GET <realm>?service=…&scope=… with basic credentials. */
  private async fetchToken(challenge: string, scope: string): Promise<string | undefined> {
    const params = Object.fromEntries(
      [...challenge.replace(/^bearer\s+/i, '').matchAll(/([A-Za-z_]+)="([^"]*)"/g)].map((m) => [
        m[1].toLowerCase(),
        m[2],
      ]),
    );
    if (!params.realm) return undefined;
    const url = new URL(params.realm);
    if (params.service) url.searchParams.set('service', params.service);
    url.searchParams.set('scope', params.scope ?? scope);
    const auth = this.basicAuth();
    const res = await fetch(url, {
      headers: auth ? { Authorization: auth } : {},
      signal: AbortSignal.timeout(this.timeoutMs),
    });
    if (!res.ok) return undefined;
    const body = (await res.json()) as { token?: string; access_token?: string };
    return body.token ?? body.access_token;
  }
}

async function errorCode(res: Response): Promise<string> {
  try {
    const body = (await res.json()) as { errors?: { code?: string }[] };
    const code = body.errors?.[0]?.code;
    return code ? ` (${code})` : '';
  } catch {
    return '';
  }
}

function describeNetworkError(err: unknown): string {
  const error = err as Error & { cause?: { code?: string; message?: string } };
  if (error.name === 'TimeoutError') return 'no answer in time';
  return error.cause?.code ?? error.cause?.message ?? error.message;
}
