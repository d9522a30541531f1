export { createDispatcher, type ProxyEnvironment } from './dispatcher.js';
export { isLoopbackHost } from './loopback.js';
export {
  backoffDelay,
  DEFAULT_RETRY,
  isRetryableNetworkError,
  parseRetryAfter,
  RETRY_STATUS,
  type RetryPolicy,
} from './retry.js';
export { sleep } from './sleep.js';
export {
  headerValue,
  HttpError,
  type HttpRequest,
  type HttpResponse,
  HttpTransport,
  MAX_RESPONSE_BYTES,
  type TransportOptions,
} from './transport.js';
