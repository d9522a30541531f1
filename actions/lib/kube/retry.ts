/** Transient API failures and the backoff used to ride them out. */
import { backoffDelay as sharedBackoff } from '../http/retry.js';
import { sleep } from '../http/sleep.js';

/** HTTP status of an error thrown by @kubernetes/client-node (ApiException.code or Watch's statusCode). */
export function httpStatus(err: unknown): number | undefined {
  if (typeof err !== 'object' || err === null) return undefined;
  const e = err as { code?: unknown; statusCode?: unknown };
  if (typeof e.code === 'number') return e.code;
  if (typeof e.statusCode === 'number') return e.statusCode;
  return undefined;
}

const NETWORK_CODES = new Set([
  'ECONNRESET',
  'ECONNREFUSED',
  'EPIPE',
  'ETIMEDOUT',
  'UND_ERR_SOCKET',
  'UND_ERR_CLOSED',
]);

/** 429 (throttled), 5xx and dropped connections are worth another try; 4xx answers are not. */
export function isTransient(err: unknown): boolean {
  const status = httpStatus(err);
  if (status !== undefined) return status === 429 || status >= 500;
  const e = err as { code?: unknown; cause?: { code?: unknown }; message?: unknown };
  if (typeof e?.code === 'string' && NETWORK_CODES.has(e.code)) return true;
  if (typeof e?.cause?.code === 'string' && NETWORK_CODES.has(e.cause.code)) return true;
  return typeof e?.message === 'string' && /fetch failed|socket hang up|other side closed/i.test(e.message);
}

export interface BackoffOptions {
  /** Tries in all, the first included. */
  attempts?: number;
  baseMs?: number;
  maxMs?: number;
  signal?: AbortSignal;
  isRetryable?: (err: unknown) => boolean;
  onRetry?: (err: unknown, attempt: number, delayMs: number) => void;
}

/**
 * The shared backoff (actions/lib/http/retry.ts: doubling, with jitter) for a 1-based attempt.
 * Jitter moves only when a retry happens, never what a seeded chaos run decides.
 */
export function backoffDelay(attempt: number, baseMs: number, maxMs: number): number {
  return sharedBackoff(Math.max(0, attempt - 1), { baseDelayMs: baseMs, maxDelayMs: maxMs });
}

/** The one sleep (actions/lib/http/sleep.ts): a cancelled wait rejects with the signal's reason. */
export { sleep };

/**
 * Calls fn until it succeeds, a non-transient error comes, the attempts run out or the signal aborts
 * (then the last error is thrown). fn must be safe to repeat: callers make a repeated delete of a
 * pod that is already gone count as done, never as a second kill.
 */
export async function withRetry<T>(
  fn: (attempt: number) => Promise<T>,
  options: BackoffOptions = {},
): Promise<T> {
  const attempts = options.attempts ?? 5;
  const isRetryable = options.isRetryable ?? isTransient;
  for (let attempt = 1; ; attempt++) {
    try {
      return await fn(attempt);
    } catch (err) {
      if (attempt >= attempts || !isRetryable(err) || options.signal?.aborted) throw err;
      const delay = backoffDelay(attempt, options.baseMs ?? 200, options.maxMs ?? 5000);
      options.onRetry?.(err, attempt, delay);
      // Cancelled while waiting: the last error is the answer, as documented above.
      await sleep(delay, options.signal).catch(() => {
        throw err;
      });
    }
  }
}

/** One line for an API error: `429 Too Many Requests: Cannot evict pod …`. */
export function describeApiError(err: unknown): string {
  const status = httpStatus(err);
  const body = (err as { body?: unknown })?.body;
  let message: string | undefined;
  if (typeof body === 'string') {
    try {
      message = (JSON.parse(body) as { message?: string }).message;
    } catch {
      message = body.slice(0, 200);
    }
  } else if (body && typeof body === 'object') {
    message = (body as { message?: string }).message;
  }
  const base = message ?? (err instanceof Error ? err.message.split('\n')[0] : String(err));
  return status !== undefined ? `HTTP ${status}: ${base}` : base;
}
