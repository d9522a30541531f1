/**
 * A few Kubernetes API requests without @kubernetes/client-node (about 4 MB of bundle): for actions
 * that only need one call, such as deleting a namespace. Actions that watch the cluster use
 * createKubeClient instead.
 */
import { readFileSync } from 'node:fs';
import type { Dispatcher } from 'undici';
import { Agent, ProxyAgent, request as undiciRequest } from '../http/undici-parts.js';
import { type ExecConfig, type ExecCredential, runExecCredential } from './exec-credential.js';
import type { KubeAccess } from './kube-access.js';

/** A non-2xx answer; `code` and `body` are what httpStatus and describeApiError read. */
export class KubeApiError extends Error {
  override readonly name = 'KubeApiError';
  constructor(
    readonly code: number,
    readonly body: string,
    method: string,
    path: string,
  ) {
    super(`${method} ${path}: HTTP ${code}`);
  }
}

export interface KubeRequest {
  method: string;
  /** Path and query under the server URL, e.g. `/api/v1/namespaces/x?propagationPolicy=Foreground`. */
  path: string;
  body?: unknown;
  signal?: AbortSignal;
}

export interface KubeRestOptions {
  env: Readonly<Record<string, string | undefined>>;
}

/** Sends one request with the context's credentials; resolves with the parsed JSON body of a 2xx. */
export async function kubeRequest(
  access: KubeAccess,
  request: KubeRequest,
  options: KubeRestOptions,
): Promise<unknown> {
  const auth = await credentials(access, options.env, request.signal);
  const url = new URL(access.server + request.path);
  const body = request.body === undefined ? undefined : JSON.stringify(request.body);
  const dispatcher = dispatcherFor(access, auth);
  try {
    const res = await undiciRequest(url, {
      method: request.method as Dispatcher.HttpMethod,
      headers: {
        accept: 'application/json',
        'user-agent': 'taco-actions',
        ...(auth.header ? { authorization: auth.header } : {}),
        ...(body ? { 'content-type': 'application/json' } : {}),
      },
      body,
      signal: request.signal,
      dispatcher,
    });
    const text = await res.body.text();
    if (res.statusCode < 200 || res.statusCode >= 300)
      throw new KubeApiError(res.statusCode, text, request.method, url.pathname);
    try {
      return text ? JSON.parse(text) : undefined;
    } catch {
      throw new Error(
        `${request.method} ${url.pathname}: the API server answered ${res.statusCode} with no JSON`,
      );
    }
  } finally {
    await dispatcher.close();
  }
}

/**
 * One connection for one request, with the cluster's TLS settings and client certificate. Through
 * the cluster's http:// proxy-url (never the job's HTTPS_PROXY, as kubectl): TLS inside a CONNECT
 * tunnel to an https server, the absolute URL to a plain-http one.
 */
function dispatcherFor(access: KubeAccess, auth: Credentials): Dispatcher {
  const tlsOptions = { ...access.tls, ...(auth.cert ? { cert: auth.cert, key: auth.key } : {}) };
  if (!access.proxy) return new Agent({ connect: tlsOptions });
  const secure = access.server.startsWith('https:');
  return new ProxyAgent({ uri: access.proxy, requestTls: tlsOptions, proxyTunnel: secure });
}

interface Credentials {
  header?: string;
  cert?: Buffer;
  key?: Buffer;
}

async function credentials(
  access: KubeAccess,
  env: Readonly<Record<string, string | undefined>>,
  signal: AbortSignal | undefined,
): Promise<Credentials> {
  const auth = access.auth;
  switch (auth.kind) {
    case 'none':
      return {};
    case 'token':
      return { header: `Bearer ${auth.token}` };
    case 'token-file':
      // Read on each request: a projected service-account token is rotated in place.
      return { header: `Bearer ${readFileSync(auth.file, 'utf8').trim()}` };
    case 'basic':
      return { header: `Basic ${Buffer.from(`${auth.username}:${auth.password}`).toString('base64')}` };
    case 'exec': {
      const credential = await execCredential(auth.exec, () =>
        runExecCredential(auth.exec, { env, cluster: access.cluster, signal }),
      );
      return credential.token
        ? { header: `Bearer ${credential.token}` }
        : { cert: credential.cert, key: credential.key };
    }
  }
}

/**
 * The plugin's credential, kept for the kubeconfig read it came from (`exec` is that read's object)
 * until its expirationTimestamp, as client-go keeps it: a request retried after a 503 does not start
 * `aws eks get-token` or `gke-gcloud-auth-plugin` (seconds each) again. A failed run is not kept.
 */
const execCredentials = new WeakMap<ExecConfig, Promise<ExecCredential>>();

async function execCredential(exec: ExecConfig, run: () => Promise<ExecCredential>): Promise<ExecCredential> {
  const kept = await execCredentials.get(exec)?.catch(() => undefined);
  if (kept && (kept.expiresAtMs === undefined || kept.expiresAtMs > Date.now())) return kept;
  const pending = run();
  execCredentials.set(exec, pending);
  return pending;
}
