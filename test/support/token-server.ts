/**
 * A small Bearer token server (the Docker registry token specification) for a real
 * docker-registry started with `auth: token`: it checks Basic credentials, grants the requested
 * repository actions and signs an RS256 JWT whose `x5c` header carries a self-signed certificate
 * that the registry trusts through `rootcertbundle`. Requests are recorded (scopes, not secrets).
 */
import { execFileSync } from 'node:child_process';
import { createSign, randomBytes } from 'node:crypto';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import os from 'node:os';
import path from 'node:path';

export interface TokenRequest {
  service: string | null;
  scopes: string[];
  /** The user that authenticated, or null for anonymous. */
  user: string | null;
  status: number;
}

export interface TokenServer {
  /** http://127.0.0.1:port/token — the registry's `realm`. */
  realm: string;
  service: string;
  issuer: string;
  /** PEM certificate file for the registry's `rootcertbundle`. */
  certFile: string;
  requests: TokenRequest[];
  /** The registry config block (YAML flow mapping) that trusts this server. */
  registryAuthConfig(): string;
  stop(): Promise<void>;
}

const b64url = (data: Buffer | string) => Buffer.from(data).toString('base64url');

export async function startTokenServer(options: {
  users: Record<string, string>;
  lifetimeSeconds?: number;
}): Promise<TokenServer> {
  const dir = mkdtempSync(path.join(os.tmpdir(), 'token-server-'));
  const keyFile = path.join(dir, 'key.pem');
  const certFile = path.join(dir, 'cert.pem');
  execFileSync(
    'openssl',
    [
      'req',
      '-x509',
      '-newkey',
      'rsa:2048',
      '-nodes',
      '-keyout',
      keyFile,
      '-out',
      certFile,
      '-days',
      '1',
      '-subj',
      '/CN=taco-test-token-issuer',
    ],
    {
      stdio: 'ignore',
    },
  );
  const key = readFileSync(keyFile, 'utf8');
  const certDer = Buffer.from(
    readFileSync(certFile, 'utf8')
      .replace(/-----(BEGIN|END) CERTIFICATE-----/g, '')
      .replace(/\s+/g, ''),
    'base64',
  );
  const service = 'taco-test-registry';
  const issuer = 'taco-test-issuer';
  const lifetime = options.lifetimeSeconds ?? 300;
  const requests: TokenRequest[] = [];

  const sign = (user: string, scopes: string[]) => {
    const now = Math.floor(Date.now() / 1000);
    const access = scopes.flatMap((scope) => {
      const [type, ...rest] = scope.split(':');
      const actions = rest.pop() ?? '';
      return type === 'repository'
        ? [{ type, name: rest.join(':'), actions: actions.split(',').filter(Boolean) }]
        : [];
    });
    const header = { typ: 'JWT', alg: 'RS256', x5c: [certDer.toString('base64')] };
    const claims = {
      iss: issuer,
      sub: user,
      aud: service,
      exp: now + lifetime,
      nbf: now - 10,
      iat: now,
      jti: randomBytes(8).toString('hex'),
      access,
    };
    const input = `${b64url(JSON.stringify(header))}.${b64url(JSON.stringify(claims))}`;
    const signature = createSign('RSA-SHA256').update(input).sign(key);
    return `${input}.${b64url(signature)}`;
  };

  const server = http.createServer((req, res) => {
    const url = new URL(req.url ?? '/', 'http://127.0.0.1');
    const scopes = url.searchParams
      .getAll('scope')
      .flatMap((s) => s.split(' '))
      .filter(Boolean);
    let user: string | null = null;
    const auth = req.headers.authorization;
    if (auth?.toLowerCase().startsWith('basic ')) {
      const [name, ...pass] = Buffer.from(auth.slice(6), 'base64').toString('utf8').split(':');
      if (options.users[name] === pass.join(':')) user = name;
      else {
        requests.push({ service: url.searchParams.get('service'), scopes, user: null, status: 401 });
        res.writeHead(401, { 'content-type': 'application/json' });
        res.end(JSON.stringify({ errors: [{ code: 'UNAUTHORIZED', message: 'bad credentials' }] }));
        return;
      }
    }
    if (url.pathname !== '/token' || user === null) {
      const status = url.pathname !== '/token' ? 404 : 401;
      requests.push({ service: url.searchParams.get('service'), scopes, user, status });
      res.writeHead(status, { 'content-type': 'application/json' });
      res.end(JSON.stringify({ errors: [{ code: 'UNAUTHORIZED', message: 'authentication required' }] }));
      return;
    }
    requests.push({ service: url.searchParams.get('service'), scopes, user, status: 200 });
    const token = sign(user, scopes);
    res.writeHead(200, { 'content-type': 'application/json' });
    res.end(
      JSON.stringify({
        token,
        access_token: token,
        expires_in: lifetime,
        issued_at: new Date().toISOString(),
      }),
    );
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  const realm = `http://127.0.0.1:${port}/token`;
  return {
    realm,
    service,
    issuer,
    certFile,
    requests,
    registryAuthConfig: () =>
      `auth: {token: {realm: "${realm}", service: ${service}, issuer: ${issuer}, rootcertbundle: ${certFile}}}`,
    async stop() {
      server.closeAllConnections();
      await new Promise<void>((resolve) => server.close(() => resolve()));
      rmSync(dir, { recursive: true, force: true });
    },
  };
}
