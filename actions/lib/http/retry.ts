/** The one retry policy for HTTP: which failures are retried and how long to wait before the next try. */

export interface RetryPolicy {
  /** Retries after the first attempt (default 4). */
  retries: number;
  /** First backoff delay; doubled each time, with jitter (default 250 ms). */
  baseDelayMs: number;
  /** Longest single wait, also the cap on a server's Retry-After (default 30 s). */
  maxDelayMs: number;
}

export const DEFAULT_RETRY: RetryPolicy = { retries: 4, baseDelayMs: 250, maxDelayMs: 30_000 };

/** 408, 429 and the 5xx that mean "try again": other answers are final. */
export const RETRY_STATUS: ReadonlySet<number> = new Set([408, 429, 500, 502, 503, 504]);

const RETRY_ERRORS = new Set([
  'ECONNRESET',
  'ECONNREFUSED',
  'EPIPE',
  'ETIMEDOUT',
  'ECONNABORTED',
  'EAI_AGAIN',
  'UND_ERR_SOCKET',
  'UND_ERR_CLOSED',
  'UND_ERR_CONNECT_TIMEOUT',
  'UND_ERR_HEADERS_TIMEOUT',
  'UND_ERR_BODY_TIMEOUT',
]);

/** A connection failure worth another try (reset, refused, timed out); never a cancellation. */
export function isRetryableNetworkError(err: unknown): boolean {
  const e = err as { name?: string; code?: unknown; cause?: { code?: unknown }; message?: unknown };
  if (!e || e.name === 'AbortError') return false;
  const code = typeof e.code === 'string' ? e.code : undefined;
  const causeCode = typeof e.cause?.code === 'string' ? e.cause.code : undefined;
  if ((code && RETRY_ERRORS.has(code)) || (causeCode && RETRY_ERRORS.has(causeCode))) return true;
  return typeof e.message === 'string' && /socket hang up|other side closed|fetch failed/i.test(e.message);
}

/**
 * The wait before retry `attempt + 1` (attempt 0 is the first failure): the server's Retry-After
 * when it sent one, else base × 2^attempt with "equal jitter" (half fixed, half random), so that
 * many clients throttled at once do not come back at once. Capped at maxDelayMs.
 */
export function backoffDelay(
  attempt: number,
  policy: Pick<RetryPolicy, 'baseDelayMs' | 'maxDelayMs'>,
  retryAfterMs?: number,
  random: () => number = Math.random,
): number {
  if (retryAfterMs !== undefined) return Math.min(retryAfterMs, policy.maxDelayMs);
  const exponential = policy.baseDelayMs * 2 ** attempt;
  return Math.min(Math.round(exponential / 2 + random() * (exponential / 2)), policy.maxDelayMs);
}

/** `Retry-After` as milliseconds: delta-seconds or an HTTP date. */
export function parseRetryAfter(value: string | string[] | undefined, now = Date.now()): number | undefined {
  const text = Array.isArray(value) ? value[0] : value;
  if (!text) return undefined;
  if (/^\d+$/.test(text.trim())) return Number(text.trim()) * 1000;
  const date = Date.parse(text);
  return Number.isNaN(date) ? undefined : Math.max(0, date - now);
}
