import { getMaxListeners, setMaxListeners } from 'node:events';
import http from 'node:http';
import https from 'node:https';
import pLimit from 'p-limit';
import { collectLimited, declaredLength, formatSize } from '../size-limit.js';
import { RegistryError } from './errors.js';

export interface HttpRequest {
  method: string;
  url: string;
  headers?: Record<string, string>;
  body?: Buffer;
  /** Whether the request may be sent again after a failure (default: true; an upload chunk is not). */
  retryable?: boolean;
  /** The largest answer body accepted (default MAX_RESPONSE_BYTES); more fails with SIZE_EXCEEDED. */
  maxBytes?: number;
}

/** Cap on an answer that is not a blob: errors, tokens, tag lists, catalogs. */
export const MAX_RESPONSE_BYTES = 16 * 1024 * 1024;

export interface HttpResponse {
  status: number;
  headers: http.IncomingHttpHeaders;
  body: Buffer;
}

/** One response header's value (the first, when it came more than once). */
export function headerValue(res: HttpResponse, name: string): string | undefined {
  const value = res.headers[name];
  return Array.isArray(value) ? value[0] : value;
}

export interface RetryPolicy {
  /** Retries after the first attempt (default 4). */
  retries: number;
  /** First backoff delay; doubled each time, with jitter (default 250 ms). */
  baseDelayMs: number;
  /** Longest single wait, also the cap on a server's Retry-After (default 30 s). */
  maxDelayMs: number;
}

export interface TransportOptions {
  /** Sockets (and so requests in flight) per registry host (default 8). */
  maxConnections?: number;
  retry?: Partial<RetryPolicy>;
  /** Per attempt: no answer within this time counts as a network failure (default 60 s). */
  timeoutMs?: number;
  signal?: AbortSignal;
  /** Receives one line per retry. */
  log?: (line: string) => void;
}

export const DEFAULT_RETRY: RetryPolicy = { retries: 4, baseDelayMs: 250, maxDelayMs: 30_000 };

const RETRY_STATUS = new Set([408, 429, 500, 502, 503, 504]);
const RETRY_ERRORS = new Set([
  'ECONNRESET',
  'ECONNREFUSED',
  'EPIPE',
  'ETIMEDOUT',
  'ECONNABORTED',
  'EAI_AGAIN',
  'UND_ERR_SOCKET',
]);

/**
 * HTTP for registry clients: one keep-alive agent per client (close() ends its sockets so the
 * process can exit), at most `maxConnections` requests in flight, and retries with exponential
 * backoff on 408/429/5xx and connection failures, honouring `Retry-After`.
 */
export class Transport {
  private readonly httpAgent: http.Agent;
  private readonly httpsAgent: https.Agent;
  private readonly limit: ReturnType<typeof pLimit>;
  readonly retry: RetryPolicy;

  constructor(private readonly options: TransportOptions = {}) {
    const maxSockets = options.maxConnections ?? 8;
    this.httpAgent = new http.Agent({ keepAlive: true, maxSockets });
    this.httpsAgent = new https.Agent({ keepAlive: true, maxSockets });
    this.limit = pLimit(maxSockets);
    this.retry = { ...DEFAULT_RETRY, ...options.retry };
    // Every request in flight and every backoff wait listens for the job's cancellation.
    const signal = options.signal;
    if (signal) setMaxListeners(Math.max(getMaxListeners(signal), 10 + 4 * maxSockets), signal);
  }

  async send(request: HttpRequest): Promise<HttpResponse> {
    const retryable = request.retryable ?? true;
    for (let attempt = 0; ; attempt++) {
      this.options.signal?.throwIfAborted();
      let response: HttpResponse | undefined;
      let failure: NodeJS.ErrnoException | undefined;
      try {
        response = await this.limit(() => this.once(request));
      } catch (err) {
        if (err instanceof RegistryError) throw err;
        failure = err as NodeJS.ErrnoException;
      }
      const last = !retryable || attempt >= this.retry.retries;
      if (response && (!RETRY_STATUS.has(response.status) || last)) return response;
      if (failure && (last || !isRetryableError(failure))) {
        throw new RegistryError(
          `${request.method} ${request.url}: ${failure.message} (no answer from the registry)`,
          { method: request.method, url: request.url, network: true },
          { cause: failure },
        );
      }
      const delay = this.delay(attempt, response);
      const why = response ? `HTTP ${response.status}` : (failure?.code ?? failure?.message);
      this.options.log?.(
        `${request.method} ${request.url}: ${why}; retry ${attempt + 1}/${this.retry.retries} in ${delay} ms`,
      );
      await sleep(delay, this.options.signal);
    }
  }

  /** Backoff for the given attempt: the server's Retry-After if it sent one, else 2^n × base with jitter. */
  private delay(attempt: number, response: HttpResponse | undefined): number {
    const retryAfter = parseRetryAfter(response?.headers['retry-after']);
    if (retryAfter !== undefined) return Math.min(retryAfter, this.retry.maxDelayMs);
    const exponential = this.retry.baseDelayMs * 2 ** attempt;
    return Math.min(Math.round(exponential / 2 + Math.random() * (exponential / 2)), this.retry.maxDelayMs);
  }

  private once(request: HttpRequest): Promise<HttpResponse> {
    const url = new URL(request.url);
    const isHttps = url.protocol === 'https:';
    const module = isHttps ? https : http;
    return new Promise((resolve, reject) => {
      const req = module.request(
        url,
        {
          method: request.method,
          headers: {
            ...request.headers,
            ...(request.body ? { 'content-length': String(request.body.length) } : {}),
          },
          agent: isHttps ? this.httpsAgent : this.httpAgent,
          signal: this.options.signal,
          timeout: this.options.timeoutMs ?? 60_000,
        },
        (res) => {
          const limit = request.maxBytes ?? MAX_RESPONSE_BYTES;
          const tooLarge = () =>
            new RegistryError(
              `${request.method} ${request.url}: the answer is larger than the ${formatSize(limit)} limit for it; nothing of it was used`,
              { status: res.statusCode, code: 'SIZE_EXCEEDED', method: request.method, url: request.url },
            );
          // A HEAD answer's Content-Length describes the resource, not a body.
          const declared =
            request.method === 'HEAD' ? undefined : declaredLength(res.headers['content-length']);
          collectLimited(res, limit, tooLarge, declared).then(
            (body) => resolve({ status: res.statusCode ?? 0, headers: res.headers, body }),
            (err: Error) => {
              req.destroy();
              reject(err);
            },
          );
        },
      );
      req.on('timeout', () =>
        req.destroy(Object.assign(new Error('request timed out'), { code: 'ETIMEDOUT' })),
      );
      req.on('error', reject);
      req.end(request.body);
    });
  }

  /** Ends the keep-alive sockets; without it they hold the process open. */
  close(): void {
    this.httpAgent.destroy();
    this.httpsAgent.destroy();
  }
}

function isRetryableError(err: NodeJS.ErrnoException): boolean {
  if (err.name === 'AbortError') return false;
  return (err.code !== undefined && RETRY_ERRORS.has(err.code)) || /socket hang up/i.test(err.message);
}

/** `Retry-After` as milliseconds: delta-seconds or an HTTP date. */
export function parseRetryAfter(value: string | string[] | undefined, now = Date.now()): number | undefined {
  const text = Array.isArray(value) ? value[0] : value;
  if (!text) return undefined;
  if (/^\d+$/.test(text.trim())) return Number(text.trim()) * 1000;
  const date = Date.parse(text);
  return Number.isNaN(date) ? undefined : Math.max(0, date - now);
}

/** Waits `ms`, or rejects as soon as `signal` aborts. */
export function sleep(ms: number, signal?: AbortSignal): Promise<void> {
  return new Promise((resolve, reject) => {
    if (signal?.aborted) return reject(signal.reason);
    const timer = setTimeout(() => {
      signal?.removeEventListener('abort', onAbort);
      resolve();
    }, ms);
    const onAbort = () => {
      clearTimeout(timer);
      reject(signal?.reason);
    };
    signal?.addEventListener('abort', onAbort, { once: true });
  });
}
