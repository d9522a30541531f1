/**
 * A few Kubernetes API requests without @kubernetes/client-node (about 4 MB of bundle): for actions
 * that only need one call, such as deleting a namespace. Actions that watch the cluster use
 * createKubeClient instead.
 */
import http from 'node:http';
import https from 'node:https';
import { runExecCredential } from './exec-credential.js';
import type { KubeAccess } from './kube-access.js';
import { readFileSync } from 'node:fs';

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
    accept: 'application/json',
    'user-agent': 'taco-actions',
    ...(auth.header ? { authorization: auth.header } : {}),
    ...(body
      ? { 'content-type': 'application/json', 'content-length': String(Buffer.byteLength(body)) }
      : {}),
  };
  const transport = url.protocol === 'https:' ? https : http;
  const tls = { ...access.tls, ...(auth.cert ? { cert: auth.cert, key: auth.key } : {}) };
  return new Promise((resolve, reject) => {
    const req = transport.request(
      url,
      { method: request.method, headers, ...tls, agent: false, signal: request.signal },
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
