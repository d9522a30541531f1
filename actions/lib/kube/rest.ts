/**
 * A few Kubernetes API requests without @kubernetes/client-node (about 4 MB of bundle): for actions
 * that only need one call, such as deleting a namespace. Actions that watch the cluster use
 * createKubeClient instead.
 */
import { readFileSync } from 'node:fs';
import http from 'node:http';
import https from 'node:https';
import type { Duplex } from 'node:stream';
import tls, { type ConnectionOptions } from 'node:tls';
import { runExecCredential } from './exec-credential.js';
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
  const headers: Record<string, string> = {
    host: url.host,
    accept: 'application/json',
    'user-agent': 'taco-actions',
    ...(auth.header ? { authorization: auth.header } : {}),
    ...(body
      ? { 'content-type': 'application/json', 'content-length': String(Buffer.byteLength(body)) }
      : {}),
  };
  const secure = url.protocol === 'https:';
  const tlsOptions = { ...access.tls, ...(auth.cert ? { cert: auth.cert, key: auth.key } : {}) };
  // Through the cluster's http:// proxy: TLS inside a CONNECT tunnel to an https server, the
  // absolute URL to a plain-http one.
  const proxy = access.proxy ? new URL(access.proxy) : undefined;
  const via =
    proxy && !secure
      ? { url: proxy, path: url.href, agent: false as const }
      : { url, agent: proxy ? tunnelAgent(proxy, tlsOptions) : (false as const) };
  return new Promise((resolve, reject) => {
    const req = (secure ? https : http).request(
      via.url,
      {
        method: request.method,
        headers,
        ...tlsOptions,
        ...('path' in via ? { path: via.path } : {}),
        agent: via.agent,
        signal: request.signal,
      },
      (res) => {
        const chunks: Buffer[] = [];
        res.on('data', (chunk: Buffer) => chunks.push(chunk));
        res.on('error', reject);
        res.on('end', () => {
          const text = Buffer.concat(chunks).toString('utf8');
          const status = res.statusCode ?? 0;
          if (status < 200 || status >= 300)
            return reject(new KubeApiError(status, text, request.method, url.pathname));
          try {
            resolve(text ? JSON.parse(text) : undefined);
          } catch {
            reject(
              new Error(`${request.method} ${url.pathname}: the API server answered ${status} with no JSON`),
            );
          }
        });
      },
    );
    req.on('error', reject);
    req.end(body);
  });
}

/** An agent whose connections are TLS inside a CONNECT tunnel through the proxy. */
function tunnelAgent(proxy: URL, tlsOptions: ConnectionOptions): https.Agent {
  const agent = new https.Agent(tlsOptions);
  const connect = (
    options: ConnectionOptions & { host?: string; port?: number },
    done: (err: Error | null, socket?: Duplex) => void,
  ) => {
    const authority = `${options.host}:${options.port}`;
    const tunnel = http.request(proxy, {
      method: 'CONNECT',
      path: authority,
      headers: { host: authority },
      agent: false,
    });
    tunnel.once('connect', (res, socket) => {
      if (res.statusCode !== 200) {
        socket.destroy();
        return done(new Error(`proxy ${proxy.host} answered ${res.statusCode} to CONNECT ${authority}`));
      }
      done(null, tls.connect({ ...options, socket }));
    });
    tunnel.once('error', (err) => done(err));
    tunnel.end();
  };
  (agent as unknown as { createConnection: typeof connect }).createConnection = connect;
  return agent;
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
      const credential = await runExecCredential(auth.exec, { env, cluster: access.cluster, signal });
      return credential.token
        ? { header: `Bearer ${credential.token}` }
        : { cert: credential.cert, key: credential.key };
    }
  }
}
