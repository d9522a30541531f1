import { repositoryScope } from './auth.js';
import type { RegistryClient } from './client.js';
import { RegistryError } from './errors.js';
import { digestOf, sha256Digest } from './manifest.js';
import { isDigest } from './reference.js';
import { backoffDelay } from '../http/retry.js';
import { headerValue, type HttpResponse, sleep } from './transport.js';

export interface UploadOptions {
  /** Bytes per PATCH; unset or 0 = one monolithic PUT. */
  chunkSize?: number;
}

export interface UploadedBlob {
  digest: string;
  size: number;
  /** False when the registry already had the blob and nothing was sent. */
  uploaded: boolean;
}

const REDIRECTS = new Set([301, 302, 303, 307, 308]);

/**
 * Cap on a blob read into memory: the blobs pulled whole are chart packages and release artifacts
 * (Helm itself refuses a chart over 100 MiB); image layers are mounted, never downloaded.
 */
export const MAX_BLOB_BYTES = 100 * 1024 * 1024;
const MAX_REDIRECTS = 5;

/**
 * Pushes a blob (OCI distribution spec, "Pushing blobs"): HEAD first; then POST to open an upload
 * session and either PUT everything at once (`?digest=`) or PATCH it chunk by chunk
 * (Content-Range, each response's Location names the next step) and close it with an empty
 * PUT `?digest=`. Session requests are never replayed on their own (the registry's offset would
 * no longer match): a failed attempt cancels its session and the whole upload starts again in a
 * new one, up to the client's retry count.
 */
export async function uploadBlob(
  client: RegistryClient,
  repository: string,
  bytes: Buffer,
  options: UploadOptions = {},
): Promise<UploadedBlob> {
  const digest = sha256Digest(bytes);
  const size = bytes.length;
  const what = `blob ${client.host}/${repository}@${digest}`;
  const chunkSize = options.chunkSize ?? 0;
  if (!Number.isInteger(chunkSize) || chunkSize < 0) {
    throw new RangeError(`${what}: chunkSize must be a non-negative integer, got ${chunkSize}`);
  }
  if (await client.blobExists(repository, digest)) return { digest, size, uploaded: false };
  const retries = client.retryPolicy.retries;
  for (let attempt = 0; ; attempt++) {
    const session: { location?: string } = {};
    try {
      await uploadOnce(client, repository, bytes, digest, chunkSize, session, what);
      return { digest, size, uploaded: true };
    } catch (err) {
      if (session.location) await client.cancelUpload(repository, session.location);
      if (!(err instanceof RegistryError) || !worthRetrying(err) || attempt >= retries) {
        if (err instanceof RegistryError && attempt > 0) {
          throw new RegistryError(
            `${err.message} (upload gave up after ${attempt + 1} attempts)`,
            err.details,
          );
        }
        throw err;
      }
      // Another attempt may have completed before its answer was lost.
      if (await client.blobExists(repository, digest).catch(() => false)) {
        return { digest, size, uploaded: true };
      }
      const delay = backoffDelay(attempt, client.retryPolicy);
      client.options.log?.(
        `${what}: ${err.message}; whole upload again (${attempt + 1}/${retries}) in ${delay} ms`,
      );
      await sleep(delay, client.options.signal);
    }
  }
}

async function uploadOnce(
  client: RegistryClient,
  repository: string,
  bytes: Buffer,
  digest: string,
  chunkSize: number,
  session: { location?: string },
  what: string,
): Promise<void> {
  const scopes = [repositoryScope(repository, 'pull,push')];
  const startPath = `/v2/${repository}/blobs/uploads/`;
  const started = await client.request({
    method: 'POST',
    path: startPath,
    scopes,
    headers: { 'content-length': '0' },
  });
  if (started.status !== 202) throw client.failure(started, 'POST', startPath, `${what}: opening an upload`);
  session.location = nextLocation(client, started, what);

  let body: Buffer = bytes;
  if (chunkSize > 0 && bytes.length > chunkSize) {
    for (let offset = 0; offset < bytes.length; offset += chunkSize) {
      const chunk = bytes.subarray(offset, Math.min(offset + chunkSize, bytes.length));
      const end = offset + chunk.length - 1;
      const res = await client.requestUrl(session.location, {
        method: 'PATCH',
        scopes,
        headers: { 'content-type': 'application/octet-stream', 'content-range': `${offset}-${end}` },
        body: chunk,
        retryable: false,
      });
      if (res.status !== 202) {
        throw client.failure(res, 'PATCH', pathOf(session.location), `${what}: chunk ${offset}-${end}`);
      }
      const range = headerValue(res, 'range');
      if (range && range !== `0-${end}`) {
        throw new RegistryError(`${what}: after chunk ${offset}-${end} the registry holds range ${range}`, {
          code: 'BLOB_UPLOAD_INVALID',
        });
      }
      session.location = nextLocation(client, res, what);
    }
    body = Buffer.alloc(0);
  }
  const done = await client.requestUrl(withDigest(session.location, digest), {
    method: 'PUT',
    scopes,
    headers: { 'content-type': 'application/octet-stream' },
    body,
    retryable: false,
  });
  if (done.status !== 201) {
    throw client.failure(done, 'PUT', pathOf(session.location), `${what}: completing the upload`);
  }
  session.location = undefined;
  const stored = headerValue(done, 'docker-content-digest');
  if (stored && stored !== digest) {
    throw new RegistryError(`${what}: the registry stored the upload as ${stored}`, {
      code: 'DIGEST_INVALID',
    });
  }
}

/** GET a blob, following redirects to storage (credentials stay with the registry host), digest verified. */
export async function getBlob(client: RegistryClient, repository: string, digest: string): Promise<Buffer> {
  const what = `blob ${client.host}/${repository}@${digest}`;
  if (!isDigest(digest)) throw new RegistryError(`${what}: not a digest`);
  const scopes = [repositoryScope(repository, 'pull')];
  let url = `${client.baseUrl}/v2/${repository}/blobs/${digest}`;
  for (let hop = 0; ; hop++) {
    const res = await client.requestUrl(url, { method: 'GET', scopes, maxBytes: MAX_BLOB_BYTES });
    if (REDIRECTS.has(res.status)) {
      const location = headerValue(res, 'location');
      if (!location || hop >= MAX_REDIRECTS) {
        throw new RegistryError(
          `${what}: ${location ? `more than ${MAX_REDIRECTS} redirects` : `HTTP ${res.status} without a Location`}`,
          { status: res.status, method: 'GET', url },
        );
      }
      url = new URL(location, url).toString();
      continue;
    }
    if (res.status !== 200) throw client.failure(res, 'GET', pathOf(url), what);
    const actual = digestOf(res.body, digest.split(':')[0]);
    if (actual !== digest) {
      throw new RegistryError(`${what}: the registry sent ${res.body.length} bytes with digest ${actual}`, {
        code: 'DIGEST_INVALID',
        method: 'GET',
        url,
      });
    }
    return res.body;
  }
}

function worthRetrying(err: RegistryError): boolean {
  const { status, network, code } = err.details;
  if (network) return true;
  // A registry that stored other bytes than were sent is not trusted with a second try.
  if (status === undefined) return code === 'BLOB_UPLOAD_INVALID';
  // 404: the session expired or was lost; 416: the registry's offset disagrees with ours.
  return status >= 500 || status === 404 || status === 408 || status === 416 || status === 429;
}

/** The upload URL the registry named: absolute or relative to the registry. */
function nextLocation(client: RegistryClient, res: HttpResponse, what: string): string {
  const location = headerValue(res, 'location');
  if (!location)
    throw new RegistryError(`${what}: the registry answered HTTP ${res.status} without a Location`);
  return new URL(location, client.baseUrl).toString();
}

/** Adds `digest=` to an upload URL that may already carry a query (`_state=…`), leaving the rest verbatim. */
export function withDigest(location: string, digest: string): string {
  const url = new URL(location);
  const param = `digest=${encodeURIComponent(digest)}`;
  url.search = url.search.length > 1 ? `${url.search}&${param}` : `?${param}`;
  return url.toString();
}

function pathOf(url: string): string {
  const parsed = new URL(url);
  return `${parsed.pathname}${parsed.search}`;
}
