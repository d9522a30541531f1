import {
  HttpError,
  type HttpRequest,
  type HttpResponse,
  HttpTransport,
  type TransportOptions,
} from '../http/index.js';
import { RegistryError } from './errors.js';

export {
  DEFAULT_RETRY,
  headerValue,
  type HttpRequest,
  type HttpResponse,
  MAX_RESPONSE_BYTES,
  parseRetryAfter,
  type RetryPolicy,
  sleep,
  type TransportOptions,
} from '../http/index.js';

/**
 * The registry's side of the shared HTTP stack (actions/lib/http): the same keep-alive pools,
 * proxies, retries and cancellation, with a failure to get an answer reported as a RegistryError
 * (the registry adapter's kind of error).
 */
export class Transport {
  private readonly http: HttpTransport;

  constructor(options: TransportOptions = {}) {
    this.http = new HttpTransport(options);
  }

  get retry() {
    return this.http.retry;
  }

  async send(request: HttpRequest): Promise<HttpResponse> {
    try {
      return await this.http.send(request);
    } catch (err) {
      if (err instanceof HttpError) {
        const noAnswer = err.details.network ? ' (no answer from the registry)' : '';
        throw new RegistryError(`${err.message}${noAnswer}`, err.details, { cause: err.cause ?? err });
      }
      throw err;
    }
  }

  close(): void {
    this.http.close();
  }
}
