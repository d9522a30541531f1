import { EnvHttpProxyAgent } from './undici-parts.js';

/** The environment the proxy variables are read from (the job's, not necessarily this process's). */
export type ProxyEnvironment = Readonly<Record<string, string | undefined>>;

export interface DispatcherOptions {
  /** Keep-alive connections per origin (default 16). */
  connections?: number;
  /** HTTPS_PROXY / HTTP_PROXY / NO_PROXY (either case) come from here. */
  env?: ProxyEnvironment;
}

const variable = (env: ProxyEnvironment, name: string): string =>
  env[name.toLowerCase()] ?? env[name.toUpperCase()] ?? '';

/**
 * A keep-alive connection pool that honours HTTPS_PROXY, HTTP_PROXY and NO_PROXY the way curl and
 * git do (CONNECT tunnels through the proxy; NO_PROXY hosts, suffixes, `host:port` and `*` go
 * direct). Loopback is not exempt by itself: runners behind a proxy list it in NO_PROXY.
 */
export function createDispatcher(options: DispatcherOptions = {}): EnvHttpProxyAgent {
  const env = options.env ?? {};
  return new EnvHttpProxyAgent({
    connections: options.connections ?? 16,
    httpProxy: variable(env, 'http_proxy'),
    httpsProxy: variable(env, 'https_proxy') || variable(env, 'http_proxy'),
    noProxy: variable(env, 'no_proxy'),
  });
}
