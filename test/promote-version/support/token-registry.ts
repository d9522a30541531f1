/**
 * A real docker-registry on 127.0.0.1 with Bearer token auth (`auth: token`) trusting a
 * test/support/token-server.ts instance. test/support/registry.ts covers no auth and htpasswd.
 *
 * By default the token realm is on the registry's own host:port, as Harbor and GitLab serve it: a
 * small front server sends `/token` to the token server and everything else (Host header kept) to
 * docker-registry. With `realm: 'other-port'` the realm is the token server's own port, which a
 * plain-HTTP client only accepts when `registry.token-realms` lists it.
 */
import { spawn } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import os from 'node:os';
import path from 'node:path';
import { freePort, waitFor } from '../../support/ports.js';
import { startTokenServer, type TokenServer } from '../../support/token-server.js';

export interface TokenRegistry {
  host: string;
  /** host:port of the realm the registry names. */
  realmHost: string;
  tokens: TokenServer;
  stop(): Promise<void>;
}

export async function startTokenRegistry(
  users: Record<string, string>,
  options: { realm?: 'own-host' | 'other-port' } = {},
): Promise<TokenRegistry> {
  const tokens = await startTokenServer({ users });
  const dir = mkdtempSync(path.join(os.tmpdir(), 'token-registry-'));
  const port = await freePort();
  const front = options.realm === 'other-port' ? undefined : await startFront(port, new URL(tokens.realm));
  const realm = front ? `http://${front.host}/token` : tokens.realm;
  writeFileSync(
    path.join(dir, 'config.yml'),
    `version: 0.1\nlog: {level: error}\nstorage: {filesystem: {rootdirectory: ${path.join(dir, 'data')}}}\n` +
      `http: {addr: 127.0.0.1:${port}}\n` +
      `auth: {token: {realm: "${realm}", service: ${tokens.service}, issuer: ${tokens.issuer}, rootcertbundle: ${tokens.certFile}}}\n`,
  );
  const child = spawn('docker-registry', ['serve', path.join(dir, 'config.yml')], { stdio: 'ignore' });
  const host = front?.host ?? `127.0.0.1:${port}`;
  const stop = async () => {
    if (child.exitCode === null) {
      const closed = new Promise((r) => child.once('close', r));
      child.kill('SIGTERM');
      await closed;
    }
    await front?.stop();
    await tokens.stop();
    rmSync(dir, { recursive: true, force: true });
  };
  try {
    await waitFor(
      'docker-registry (token auth)',
      async () => (await fetch(`http://${host}/v2/`)).status === 401,
    );
  } catch (err) {
    await stop();
    throw err;
  }
  return { host, realmHost: new URL(realm).host, tokens, stop };
}

/** One port for both: `/token…` to the token server, the rest to the registry on `registryPort`. */
async function startFront(
  registryPort: number,
  tokenServer: URL,
): Promise<{ host: string; stop(): Promise<void> }> {
  const server = http.createServer((req, res) => {
    const toTokens = (req.url ?? '').startsWith('/token');
    const upstream = http.request(
      {
        host: '127.0.0.1',
        port: toTokens ? Number(tokenServer.port) : registryPort,
        method: req.method,
        path: req.url,
        headers: req.headers,
      },
      (answer) => {
        res.writeHead(answer.statusCode ?? 502, answer.headers);
        answer.pipe(res);
      },
    );
    upstream.on('error', () => res.destroy());
    req.pipe(upstream);
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  return {
    host: `127.0.0.1:${port}`,
    async stop() {
      server.closeAllConnections();
      await new Promise<void>((resolve) => server.close(() => resolve()));
    },
  };
}
