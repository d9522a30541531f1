/**
 * The parts of undici this project sends requests with, each loaded from its own file.
 *
 * undici's index loads all of undici (fetch, WebSocket, EventSource, cache stores, mocks) and, in
 * doing so, reads `globalThis.Headers`, which makes Node load its own built-in copy of undici as
 * well: together about 50 ms before an action's first line, for code no action runs. The types
 * come from undici's own declarations (undici-modules.d.ts).
 */
import type { Dispatcher as DispatcherType } from 'undici';
import api from 'undici/lib/api/index.js';
import Dispatcher from 'undici/lib/dispatcher/dispatcher.js';

export { default as Agent } from 'undici/lib/dispatcher/agent.js';
export { default as EnvHttpProxyAgent } from 'undici/lib/dispatcher/env-http-proxy-agent.js';
export { default as ProxyAgent } from 'undici/lib/dispatcher/proxy-agent.js';
export { default as redirectInterceptor } from 'undici/lib/interceptor/redirect.js';

// What undici's index does first: every dispatcher gets request/stream/pipeline/upgrade/connect.
// ProxyAgent opens its CONNECT tunnels with `connect`.
Object.assign(Dispatcher.prototype, api);

export type RequestOptions = Omit<DispatcherType.RequestOptions, 'origin' | 'path' | 'method'> & {
  dispatcher: DispatcherType;
  method?: DispatcherType.HttpMethod;
};

/** undici's `request(url, options)` for an absolute URL, on an explicit dispatcher (never the global one). */
export function request(url: string | URL, options: RequestOptions): Promise<DispatcherType.ResponseData> {
  const { dispatcher, ...rest } = options;
  const target = typeof url === 'string' ? new URL(url) : url;
  return dispatcher.request({
    ...rest,
    origin: target.origin,
    path: `${target.pathname}${target.search}`,
    method: options.method ?? (options.body ? 'PUT' : 'GET'),
  });
}
