import { Authenticator, type Credentials, repositoryScope } from './auth.js';
import { getBlob, type UploadedBlob, type UploadOptions, uploadBlob } from './blobs.js';
import { parseErrorBody, RegistryError } from './errors.js';
import { type RawManifest, digestOf, manifestMediaType, parseJsonManifest } from './manifest.js';
import { MANIFEST_ACCEPT } from './media-types.js';
import { isLoopbackHost } from './reference.js';
import {
  headerValue,
  type HttpResponse,
  type RetryPolicy,
  Transport,
  type TransportOptions,
} from './transport.js';

export interface RegistryClientOptions extends TransportOptions {
  /** host[:port] */
  host: string;
  /** Plain HTTP. Loopback hosts always use it. */
  insecure?: boolean;
  credentials?: Credentials;
  /** Hosts a plain-HTTP Bearer realm may be on besides the registry (profile `registry.token-realms`). */
  tokenRealms?: readonly string[];
  /** Receives every secret the client derives (Basic header values, Bearer tokens), to be masked. */
  setSecret?: (value: string) => void;
}

/** Registries refuse manifests over 4 MiB (the distribution spec's floor for what they must take). */
export const MAX_MANIFEST_BYTES = 4 * 1024 * 1024;

export interface ManifestHead {
  digest: string;
  mediaType: string;
  size: number;
}

export interface RegistryRequest {
  method: 'GET' | 'HEAD' | 'PUT' | 'POST' | 'PATCH' | 'DELETE';
  /** Path after the host, starting with /v2/. */
  path: string;
  /** Token scopes the request needs (`repository:a/b:pull`). */
  scopes: readonly string[];
  headers?: Record<string, string>;
  body?: Buffer;
  retryable?: boolean;
  /** The largest answer accepted (default: the transport's MAX_RESPONSE_BYTES). */
  maxBytes?: number;
}

/**
 * A client of the Docker Registry HTTP API v2 / OCI distribution specification for one registry
 * host. Every request goes through `request()` (auth, retries, connection limit), so new endpoints
 * (blob uploads, artifact manifests) are a few lines each. Call `close()` when done.
 */
export class RegistryClient {
  readonly baseUrl: string;
  private readonly transport: Transport;
  private readonly auth: Authenticator;

  constructor(readonly options: RegistryClientOptions) {
    const plainHttp = options.insecure === true || isLoopbackHost(options.host);
    this.baseUrl = `${plainHttp ? 'http' : 'https'}://${options.host}`;
    this.transport = new Transport(options);
    this.auth = new Authenticator(
      this.transport,
      options.credentials,
      { registryHost: options.host, plainHttp, tokenRealms: options.tokenRealms },
      options.setSecret,
    );
  }

  get host(): string {
    return this.options.host;
  }

  /** Sends one request with auth: pre-emptively once the scheme is known, else after the 401 challenge. */
  async request(req: RegistryRequest): Promise<HttpResponse> {
    const send = (authorization: string | undefined) =>
      this.transport.send({
        method: req.method,
        url: `${this.baseUrl}${req.path}`,
        headers: { ...req.headers, ...(authorization ? { authorization } : {}) },
        body: req.body,
        retryable: req.retryable,
        maxBytes: req.maxBytes,
      });
    const sent = await this.auth.authorization(req.scopes);
    const res = await send(sent);
    if (res.status !== 401) return res;
    const renewed = await this.auth.respond(res.headers['www-authenticate'], req.scopes, sent);
    return renewed ? send(renewed) : res;
  }

  /**
   * `request()` for a full URL the registry handed out (an upload Location, a redirect): on the
   * registry's own origin with auth; on any other host without the registry's Authorization.
   */
  async requestUrl(url: string, req: Omit<RegistryRequest, 'path'>): Promise<HttpResponse> {
    const target = new URL(url, this.baseUrl);
    if (target.origin === new URL(this.baseUrl).origin) {
      return this.request({ ...req, path: `${target.pathname}${target.search}` });
    }
    return this.transport.send({
      method: req.method,
      url: target.toString(),
      headers: req.headers,
      body: req.body,
      retryable: req.retryable,
      maxBytes: req.maxBytes,
    });
  }

  get retryPolicy(): RetryPolicy {
    return this.transport.retry;
  }

  /**
   * Pushes a blob unless the repository already has it: monolithic, or in PATCH chunks of
   * `chunkSize` bytes; a failed upload is retried as a whole in a new session. See blobs.ts.
   */
  uploadBlob(repository: string, bytes: Buffer, options?: UploadOptions): Promise<UploadedBlob> {
    return uploadBlob(this, repository, bytes, options);
  }

  /** A blob's bytes, following redirects to storage, checked against `digest`. */
  getBlob(repository: string, digest: string): Promise<Buffer> {
    return getBlob(this, repository, digest);
  }

  /**
   * Checks that the host speaks the v2 API and that the credentials (if any) are accepted. A Bearer
   * registry answers /v2/ with 401 even with a token for no scope, so a challenge is enough; with
   * `verifyCredentials` a token for `registry:catalog:*` is fetched with the credentials, so that
   * refused credentials (or none, where the registry needs them) are found before any work.
   */
  async ping(options: { verifyCredentials?: boolean } = {}): Promise<void> {
    const scopes = options.verifyCredentials ? ['registry:catalog:*'] : [];
    const res = await this.request({ method: 'GET', path: '/v2/', scopes });
    if (res.status === 200) return;
    const bearer = res.status === 401 && /bearer/i.test(String(res.headers['www-authenticate'] ?? ''));
    // A token issued for these credentials proves them, even if it grants nothing on /v2/.
    if (bearer && (!options.verifyCredentials || this.auth.hasCredentials)) return;
    throw this.failure(res, 'GET', '/v2/', `registry ${this.host} did not accept the API check`);
  }

  async getManifest(repository: string, reference: string): Promise<RawManifest> {
    const manifest = await this.findManifest(repository, reference, { missing: 'throw' });
    return manifest!;
  }

  /**
   * A manifest's exact bytes, checked against the digest asked for and the one the registry
   * claims; undefined when the tag/digest does not exist (unless `missing: 'throw'`).
   */
  async findManifest(
    repository: string,
    reference: string,
    options: { missing?: 'undefined' | 'throw' } = {},
  ): Promise<RawManifest | undefined> {
    const path = `/v2/${repository}/manifests/${reference}`;
    const res = await this.request({
      method: 'GET',
      path,
      scopes: [repositoryScope(repository, 'pull')],
      headers: { accept: MANIFEST_ACCEPT },
      maxBytes: MAX_MANIFEST_BYTES,
    });
    const what = `${this.host}/${repository}${reference.includes(':') ? '@' : ':'}${reference}`;
    if (res.status === 404 && options.missing !== 'throw') return undefined;
    if (res.status !== 200) throw this.failure(res, 'GET', path, `manifest ${what}`);
    const document = parseJsonManifest(res.body, what);
    const mediaType = manifestMediaType(headerValue(res, 'content-type'), document);
    const claimed = headerValue(res, 'docker-content-digest');
    const digest = digestOf(
      res.body,
      (claimed ?? (reference.includes(':') ? reference : 'sha256')).split(':')[0],
    );
    if (reference.includes(':') && digest !== reference) {
      throw new RegistryError(`manifest ${what}: the registry sent content with digest ${digest}`, {
        code: 'DIGEST_INVALID',
      });
    }
    if (claimed && claimed !== digest) {
      throw new RegistryError(
        `manifest ${what}: Docker-Content-Digest says ${claimed} but the content hashes to ${digest}`,
        {
          code: 'DIGEST_INVALID',
        },
      );
    }
    return { bytes: res.body, mediaType, digest };
  }

  /** The digest and media type of a manifest, or undefined when the tag/digest does not exist. */
  async headManifest(repository: string, reference: string): Promise<ManifestHead | undefined> {
    const path = `/v2/${repository}/manifests/${reference}`;
    const res = await this.request({
      method: 'HEAD',
      path,
      scopes: [repositoryScope(repository, 'pull')],
      headers: { accept: MANIFEST_ACCEPT },
    });
    if (res.status === 404) return undefined;
    if (res.status !== 200)
      throw this.failure(res, 'HEAD', path, `manifest ${this.host}/${repository}:${reference}`);
    const digest = headerValue(res, 'docker-content-digest');
    if (!digest) {
      // Not every registry sends the digest on HEAD; the content tells.
      const full = await this.getManifest(repository, reference);
      return { digest: full.digest, mediaType: full.mediaType, size: full.bytes.length };
    }
    return {
      digest,
      mediaType: headerValue(res, 'content-type') ?? '',
      size: Number(headerValue(res, 'content-length') ?? 0),
    };
  }

  /**
   * Stores manifest bytes as they are under a tag or digest; returns the digest the registry says
   * it computed (its Docker-Content-Digest), or undefined when it sent none.
   */
  async putManifest(
    repository: string,
    reference: string,
    manifest: Pick<RawManifest, 'bytes' | 'mediaType'>,
  ): Promise<string | undefined> {
    const path = `/v2/${repository}/manifests/${reference}`;
    const res = await this.request({
      method: 'PUT',
      path,
      scopes: [repositoryScope(repository, 'pull,push')],
      headers: { 'content-type': manifest.mediaType },
      body: manifest.bytes,
    });
    if (res.status !== 201 && res.status !== 200)
      throw this.failure(res, 'PUT', path, `manifest ${this.host}/${repository}:${reference}`);
    return headerValue(res, 'docker-content-digest');
  }

  /**
   * PUTs a manifest and proves the registry stored exactly these bytes under `reference`: its
   * Docker-Content-Digest is the digest of what it stored, so no read-back is needed; only a
   * registry that does not send it costs one HEAD.
   */
  async putManifestVerified(repository: string, reference: string, manifest: RawManifest): Promise<void> {
    const where = `${this.host}/${repository}:${reference}`;
    const stored = await this.putManifest(repository, reference, manifest);
    if (stored !== undefined && stored !== manifest.digest) {
      throw new RegistryError(
        `${where}: the registry stored digest ${stored} for content with digest ${manifest.digest}`,
        { code: 'DIGEST_INVALID' },
      );
    }
    if (stored !== undefined) return;
    const check = await this.headManifest(repository, reference);
    if (check?.digest !== manifest.digest) {
      throw new RegistryError(
        `${where}: verification failed, it resolves to ${check?.digest ?? 'nothing'} instead of ${manifest.digest}`,
        { code: 'DIGEST_INVALID' },
      );
    }
  }

  async blobExists(repository: string, digest: string): Promise<boolean> {
    const path = `/v2/${repository}/blobs/${digest}`;
    const res = await this.request({ method: 'HEAD', path, scopes: [repositoryScope(repository, 'pull')] });
    if (res.status === 200) return true;
    if (res.status === 404) return false;
    throw this.failure(res, 'HEAD', path, `blob ${repository}@${digest}`);
  }

  /**
   * Cross-repository blob mount: makes `digest` of repository `from` available in `to` without
   * moving bytes. Returns false when the registry could not mount (it then opened an upload, which
   * is cancelled here); the caller must then copy the blob itself.
   */
  async mountBlob(to: string, digest: string, from: string): Promise<boolean> {
    const path = `/v2/${to}/blobs/uploads/?mount=${encodeURIComponent(digest)}&from=${encodeURIComponent(from)}`;
    const res = await this.request({
      method: 'POST',
      path,
      scopes: [repositoryScope(to, 'pull,push'), repositoryScope(from, 'pull')],
      headers: { 'content-length': '0' },
    });
    if (res.status === 201) return true;
    if (res.status === 202) {
      const location = headerValue(res, 'location');
      if (location) await this.cancelUpload(to, location);
      return false;
    }
    throw this.failure(res, 'POST', path, `mount of ${digest} from ${from} into ${to}`);
  }

  /** Cancels an upload session (best effort: a session left behind expires on the registry). */
  async cancelUpload(repository: string, location: string): Promise<void> {
    await this.requestUrl(location, {
      method: 'DELETE',
      scopes: [repositoryScope(repository, 'pull,push')],
      retryable: false,
    }).catch(() => undefined);
  }

  /**
   * Every tag of a repository ([] when it does not exist), following `Link: <…>; rel="next"`
   * pages. Registries that ignore `n` (Debian's docker-registry 2.8) send everything at once
   * without a Link header; that is the last page too.
   */
  async listTags(repository: string, pageSize = 1000): Promise<string[]> {
    const tags: string[] = [];
    let path: string | undefined = `/v2/${repository}/tags/list?n=${pageSize}`;
    const seen = new Set<string>();
    while (path && !seen.has(path)) {
      seen.add(path);
      const res = await this.request({ method: 'GET', path, scopes: [repositoryScope(repository, 'pull')] });
      if (res.status === 404) return tags;
      if (res.status !== 200) throw this.failure(res, 'GET', path, `tags of ${this.host}/${repository}`);
      const body = JSON.parse(res.body.toString('utf8')) as { tags?: string[] | null };
      tags.push(...(body.tags ?? []));
      path = nextPage(headerValue(res, 'link'), this.baseUrl);
    }
    return tags;
  }

  close(): void {
    this.transport.close();
  }

  /** A RegistryError naming the operation, the HTTP status and the registry's error code. */
  failure(res: HttpResponse, method: string, path: string, what: string): RegistryError {
    const { code, message } = parseErrorBody(res.body);
    let hint = '';
    if (res.status === 401)
      hint = this.auth.hasCredentials
        ? ' (the credentials were refused)'
        : ' (the registry needs credentials and none were given)';
    if (res.status === 403) hint = ' (the credentials lack permission)';
    return new RegistryError(
      `${what}: HTTP ${res.status}${code ? ` ${code}` : ''}${message ? ` (${message})` : ''}${hint}`,
      { status: res.status, code, method, url: `${this.baseUrl}${path}` },
    );
  }
}

/** The next page from an RFC 8288 `Link` header, as a path on the registry. */
export function nextPage(link: string | undefined, baseUrl: string): string | undefined {
  if (!link) return undefined;
  for (const part of link.split(/,(?=\s*<)/)) {
    const match = /^\s*<([^>]*)>\s*;(.*)$/.exec(part);
    if (match && /\brel="?next"?/.test(match[2])) {
      const url = new URL(match[1], baseUrl);
      return `${url.pathname}${url.search}`;
    }
  }
  return undefined;
}
