import { type Challenge, parseChallenges } from './challenge.js';
import { parseErrorBody, RegistryError } from './errors.js';
import type { Transport } from './transport.js';

export interface Credentials {
  username: string;
  password: string;
}

/** Where a Bearer challenge's realm may be, as seen from the registry that sent it. */
export interface RealmPolicy {
  /** The registry's own host[:port]. */
  registryHost: string;
  /** Whether the registry itself is reached over plain HTTP (profile `insecure`, or loopback). */
  plainHttp: boolean;
  /** Extra hosts (host[:port]) a plain-HTTP realm may be on: the profile's `registry.token-realms`. */
  tokenRealms?: readonly string[];
}

/**
 * Checks a Bearer realm before any credentials go to it. An https realm may be on any host (Docker
 * Hub's token server is not the registry's host; Docker and containerd do the same). A plain-HTTP
 * realm gets the credentials in the clear, so it must be the registry's own host:port (or a host
 * the profile lists in `registry.token-realms`), and only for a registry that is plain HTTP itself.
 */
export function checkRealm(realm: string, policy: RealmPolicy): URL {
  const refuse = (why: string) =>
    new RegistryError(
      `registry ${policy.registryHost} named the token realm ${JSON.stringify(realm)}, which is refused: ${why}`,
      { code: 'TOKEN_REALM_REFUSED' },
    );
  let url: URL;
  try {
    url = new URL(realm);
  } catch {
    throw refuse('it is not a URL');
  }
  if (url.username || url.password) throw refuse('it carries credentials');
  if (url.protocol === 'https:') return url;
  if (url.protocol !== 'http:') throw refuse(`only https (or plain http to the registry itself) is allowed`);
  if (!policy.plainHttp) {
    throw refuse(`plain http, while registry ${policy.registryHost} itself is https`);
  }
  const host = hostWithPort(url);
  const allowed = [policy.registryHost, ...(policy.tokenRealms ?? [])].map(normalizeHost);
  if (!allowed.includes(host)) {
    throw refuse(
      `plain http on ${host}, which is not the registry's own host; list it in the profile's registry.token-realms if it is yours`,
    );
  }
  return url;
}

/** host:port of a URL, with the scheme's default port spelled out. */
function hostWithPort(url: URL): string {
  return `${url.hostname.toLowerCase()}:${url.port || (url.protocol === 'https:' ? '443' : '80')}`;
}

function normalizeHost(host: string): string {
  const url = new URL(`http://${host}`);
  return hostWithPort(url);
}

/** `repository:<name>:<actions>` as the token specification spells a scope. */
export function repositoryScope(repository: string, actions: 'pull' | 'push' | 'pull,push'): string {
  return `repository:${repository}:${actions}`;
}

interface CachedToken {
  value: string;
  expiresAt: number;
}

/** Tokens are renewed this long before the server says they expire. */
const EXPIRY_MARGIN_MS = 10_000;

/**
 * Answers a registry's `WWW-Authenticate` challenge. Basic: the credentials on every request.
 * Bearer (the Docker token specification): a token from the challenge's realm for the exact scopes
 * of the request (one repository, or two for a cross-repository mount), cached until it expires.
 * After the first challenge the scheme is known and requests carry auth from the start, so a
 * promotion does not pay a 401 round trip per request.
 */
export class Authenticator {
  private challenge: Challenge | undefined;
  private readonly tokens = new Map<string, CachedToken>();
  private readonly pending = new Map<string, Promise<CachedToken>>();

  constructor(
    private readonly transport: Transport,
    private readonly credentials: Credentials | undefined,
    private readonly realms: RealmPolicy,
    /** Receives each derived secret (Basic header values, tokens) so the caller can mask it. */
    private readonly onSecret: (value: string) => void = () => undefined,
  ) {}

  /** The Authorization header to send up front, if the scheme is already known. */
  async authorization(scopes: readonly string[]): Promise<string | undefined> {
    if (!this.challenge) return undefined;
    if (this.challenge.scheme === 'basic') return this.basic();
    if (this.challenge.scheme === 'bearer') return `Bearer ${(await this.token(scopes)).value}`;
    return undefined;
  }

  /**
   * Called with a 401 answer. Returns the Authorization header to retry with, or undefined when
   * retrying cannot help (no credentials, or these were just refused).
   */
  async respond(
    header: string | string[] | undefined,
    scopes: readonly string[],
    sent: string | undefined,
  ): Promise<string | undefined> {
    const challenges = parseChallenges(header);
    const bearer = challenges.find((c) => c.scheme === 'bearer');
    const basic = challenges.find((c) => c.scheme === 'basic');
    if (bearer?.params.realm) {
      checkRealm(bearer.params.realm, this.realms);
      this.challenge = bearer;
      const wanted = mergeScopes(scopes, bearer.params.scope);
      // The registry refused a token we thought valid: forget it and fetch a fresh one (the caller retries once).
      for (const [key, token] of this.tokens) if (sent === `Bearer ${token.value}`) this.tokens.delete(key);
      return `Bearer ${(await this.token(wanted)).value}`;
    }
    if (basic) {
      this.challenge = basic;
      if (!this.credentials || sent?.startsWith('Basic ')) return undefined;
      return this.basic();
    }
    return undefined;
  }

  get hasCredentials(): boolean {
    return this.credentials !== undefined;
  }

  private basic(): string | undefined {
    if (!this.credentials) return undefined;
    const value = Buffer.from(`${this.credentials.username}:${this.credentials.password}`).toString('base64');
    if (value !== this.maskedBasic) {
      this.maskedBasic = value;
      this.onSecret(value);
    }
    return `Basic ${value}`;
  }

  private maskedBasic: string | undefined;

  private token(scopes: readonly string[]): Promise<CachedToken> {
    const key = scopeKey(scopes);
    const cached = this.tokens.get(key) ?? this.covering(scopes);
    if (cached && cached.expiresAt > Date.now() + EXPIRY_MARGIN_MS) return Promise.resolve(cached);
    let inFlight = this.pending.get(key);
    if (!inFlight) {
      inFlight = this.fetchToken(scopes)
        .then((token) => {
          this.tokens.set(key, token);
          return token;
        })
        .finally(() => this.pending.delete(key));
      this.pending.set(key, inFlight);
    }
    return inFlight;
  }

  /** A live token granted for a superset of `scopes` (a pull,push token serves a pull). */
  private covering(scopes: readonly string[]): CachedToken | undefined {
    const now = Date.now() + EXPIRY_MARGIN_MS;
    for (const [key, token] of this.tokens) {
      if (token.expiresAt > now && scopes.every((scope) => grants(key.split(' '), scope))) return token;
    }
    return undefined;
  }

  private async fetchToken(scopes: readonly string[]): Promise<CachedToken> {
    const params = this.challenge!.params;
    const url = checkRealm(params.realm, this.realms);
    if (params.service) url.searchParams.set('service', params.service);
    for (const scope of scopes) url.searchParams.append('scope', scope);
    const headers: Record<string, string> = { accept: 'application/json' };
    const basic = this.basic();
    if (basic) headers.authorization = basic;
    const started = Date.now();
    const res = await this.transport.send({ method: 'GET', url: url.toString(), headers });
    if (res.status !== 200) {
      const { code, message } = parseErrorBody(res.body);
      throw new RegistryError(
        `token server ${url.origin}${url.pathname} refused a token for ${scopes.join(' ')}: HTTP ${res.status}` +
          (code || message ? ` ${[code, message].filter(Boolean).join(' ')}` : '') +
          (res.status === 401
            ? this.credentials
              ? ' (the registry credentials were refused)'
              : ' (no credentials were given)'
            : ''),
        { status: res.status, code, method: 'GET', url: `${url.origin}${url.pathname}` },
      );
    }
    let body: { token?: string; access_token?: string; expires_in?: number };
    try {
      body = JSON.parse(res.body.toString('utf8')) as typeof body;
    } catch {
      throw new RegistryError(
        `token server ${url.origin}${url.pathname} answered with something that is not JSON`,
      );
    }
    const value = body.token ?? body.access_token;
    if (!value) throw new RegistryError(`token server ${url.origin}${url.pathname} answered without a token`);
    this.onSecret(value);
    // The specification's default lifetime is 60 s.
    return { value, expiresAt: started + (body.expires_in ?? 60) * 1000 };
  }
}

function scopeKey(scopes: readonly string[]): string {
  return [...scopes].sort().join(' ');
}

function mergeScopes(scopes: readonly string[], challengeScope: string | undefined): string[] {
  const all = new Set(scopes);
  for (const scope of challengeScope?.split(' ') ?? []) if (scope) all.add(scope);
  return [...all];
}

/** Whether granted scopes include `wanted` (same resource, every wanted action). */
function grants(granted: readonly string[], wanted: string): boolean {
  const [type, ...rest] = wanted.split(':');
  const actions = (rest.pop() ?? '').split(',');
  const name = rest.join(':');
  return granted.some((scope) => {
    const [gType, ...gRest] = scope.split(':');
    const gActions = (gRest.pop() ?? '').split(',');
    return (
      gType === type &&
      gRest.join(':') === name &&
      actions.every((a) => gActions.includes(a) || gActions.includes('*'))
    );
  });
}
