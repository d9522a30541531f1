import { getMaxListeners, setMaxListeners } from 'node:events';
import type { IncomingHttpHeaders } from 'node:http';
import { Readable } from 'node:stream';
import type { Dispatcher } from 'undici';
import { redirectInterceptor, request as undiciRequest } from './undici-parts.js';
import { ExternalError } from '../errors.js';
import { collectLimited, declaredLength, formatSize } from '../size-limit.js';
import { createDispatcher, type ProxyEnvironment } from './dispatcher.js';
import {
  backoffDelay,
  DEFAULT_RETRY,
  isRetryableNetworkError,
  parseRetryAfter,
  RETRY_STATUS,
  type RetryPolicy,
} from './retry.js';
import { sleep } from './sleep.js';

export interface HttpRequest {
  method: string;
  url: string;
  headers?: Record<string, string>;
  /** A stream is sent once: a request with one is never retried. */
  body?: Buffer | Readable;
  /** Whether the request may be sent again after a failure (default: true; an upload chunk is not). */
  retryable?: boolean;
  /** The largest answer body accepted (default MAX_RESPONSE_BYTES); more fails with SIZE_EXCEEDED. */
  maxBytes?: number;
}

/** Cap on an answer that is not a blob: errors, tokens, tag lists, catalogs. */
export const MAX_RESPONSE_BYTES = 16 * 1024 * 1024;

export interface HttpResponse {
  status: number;
  headers: IncomingHttpHeaders;
  body: Buffer;
}

export interface TransportOptions {
  /** Keep-alive connections (and so requests in flight) per origin (default 16). */
  maxConnections?: number;
  retry?: Partial<RetryPolicy>;
  /** Per attempt: no answer (or no body progress) within this time is a network failure (default 60 s). */
  timeoutMs?: number;
  signal?: AbortSignal;
  /** Receives one line per retry. */
  log?: (line: string) => void;
  /** The job's environment, for HTTPS_PROXY / HTTP_PROXY / NO_PROXY (default: none, direct). */
  env?: ProxyEnvironment;
  /** Redirects followed (default 0: a 3xx is the answer); credentials never follow to another origin. */
  maxRedirections?: number;
}

/**
 * A request that got no usable answer: the network failed, or the answer was over its size limit.
 * The service failed, not the caller: callers that know the service (the registry) rename it.
 */
export class HttpError extends ExternalError {
  override readonly name: string = 'HttpError';
  constructor(
    message: string,
    readonly details: { method: string; url: string; network?: boolean; code?: string; status?: number },
    options?: { cause?: unknown },
  ) {
    super(serviceOf(details.url), message, options);
  }
}

function serviceOf(url: string): string {
  try {
    return new URL(url).host;
  } catch {
    return 'HTTP';
  }
}

/** One response header's value (the first, when it came more than once). */
export function headerValue(res: HttpResponse, name: string): string | undefined {
  const value = res.headers[name];
  return Array.isArray(value) ? value[0] : value;
}

/**
 * The HTTP stack every client here shares: undici keep-alive pools behind the proxy variables,
 * retries with exponential backoff and jitter on 408/429/5xx and connection failures (honouring
 * Retry-After), a size cap on every answer, and the job's cancellation on every request and wait.
 * `close()` ends the sockets so the process can exit.
 */
export class HttpTransport {
  private readonly pool: ReturnType<typeof createDispatcher>;
  private readonly dispatcher: Dispatcher;
  readonly retry: RetryPolicy;

  constructor(private readonly options: TransportOptions = {}) {
    const connections = options.maxConnections ?? 16;
    this.pool = createDispatcher({ connections, env: options.env });
    const redirects = options.maxRedirections ?? 0;
    this.dispatcher = redirects
      ? this.pool.compose(redirectInterceptor({ maxRedirections: redirects }))
      : this.pool;
    this.retry = { ...DEFAULT_RETRY, ...options.retry };
    // Every request in flight and every backoff wait listens for the job's cancellation.
    const signal = options.signal;
    if (signal) setMaxListeners(Math.max(getMaxListeners(signal), 10 + 4 * connections), signal);
  }

  async send(request: HttpRequest): Promise<HttpResponse> {
    const retryable = (request.retryable ?? true) && !(request.body instanceof Readable);
    for (let attempt = 0; ; attempt++) {
      this.options.signal?.throwIfAborted();
      let response: HttpResponse | undefined;
      let failure: Error | undefined;
      try {
        response = await this.once(request);
      } catch (err) {
        if (err instanceof HttpError) throw err;
        failure = err as Error;
      }
      const last = !retryable || attempt >= this.retry.retries;
      if (response && (!RETRY_STATUS.has(response.status) || last)) return response;
      if (failure && (last || !isRetryableNetworkError(failure))) {
        throw new HttpError(
          `${request.method} ${request.url}: ${describeFailure(failure)}`,
          {
            method: request.method,
            url: request.url,
            network: true,
            code: (failure as NodeJS.ErrnoException).code,
          },
          { cause: failure },
        );
      }
      const retryAfter = parseRetryAfter(response?.headers['retry-after']);
      const delay = backoffDelay(attempt, this.retry, retryAfter);
      const why = response ? `HTTP ${response.status}` : describeFailure(failure!);
      this.options.log?.(
        `${request.method} ${request.url}: ${why}; retry ${attempt + 1}/${this.retry.retries} in ${delay} ms`,
      );
      await sleep(delay, this.options.signal);
    }
  }

  private async once(request: HttpRequest): Promise<HttpResponse> {
    const timeout = this.options.timeoutMs ?? 60_000;
    const res = await undiciRequest(request.url, {
      dispatcher: this.dispatcher,
      method: request.method as 'GET',
      headers: request.headers,
      body: request.body,
      signal: this.options.signal,
      headersTimeout: timeout,
      bodyTimeout: timeout,
      // undici closes the connection after a HEAD unless told otherwise (for servers that send a
      // body anyway); registries answer HEAD cleanly and a promotion sends one per image.
      reset: false,
    });
    const limit = request.maxBytes ?? MAX_RESPONSE_BYTES;
    const tooLarge = () =>
      new HttpError(
        `${request.method} ${request.url}: the answer is larger than the ${formatSize(limit)} limit for it; nothing of it was used`,
        { status: res.statusCode, code: 'SIZE_EXCEEDED', method: request.method, url: request.url },
      );
    // A HEAD answer's Content-Length describes the resource, not a body.
    const declared = request.method === 'HEAD' ? undefined : declaredLength(res.headers['content-length']);
    try {
      const body = await collectLimited(res.body, limit, tooLarge, declared);
      return { status: res.statusCode, headers: res.headers, body };
    } catch (err) {
      res.body.destroy();
      throw err;
    }
  }

  /** Ends the keep-alive sockets; without it they hold the process open. */
  close(): void {
    this.pool.destroy().catch(() => undefined);
  }
}

/** The failure in words, with its code: `connection closed without an answer (UND_ERR_SOCKET)`. */
function describeFailure(err: Error): string {
  const code = (err as NodeJS.ErrnoException).code ?? (err.cause as NodeJS.ErrnoException | undefined)?.code;
  return code && !err.message.includes(code) ? `${err.message} (${code})` : err.message;
}
