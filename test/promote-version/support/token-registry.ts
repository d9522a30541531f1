/**
 * A real docker-registry on 127.0.0.1 with Bearer token auth (`auth: token`) trusting a
 * test/support/token-server.ts instance. test/support/registry.ts covers no auth and htpasswd.
 */
import { spawn } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { freePort, waitFor } from '../../support/ports.js';
import { startTokenServer, type TokenServer } from '../../support/token-server.js';

export interface TokenRegistry {
  host: string;
  tokens: TokenServer;
  stop(): Promise<void>;
}

export async function startTokenRegistry(users: Record<string, string>): Promise<TokenRegistry> {
  const tokens = await startTokenServer({ users });
  const dir = mkdtempSync(path.join(os.tmpdir(), 'token-registry-'));
  const port = await freePort();
  writeFileSync(
    path.join(dir, 'config.yml'),
    `version: 0.1\nlog: {level: error}\nstorage: {filesystem: {rootdirectory: ${path.join(dir, 'data')}}}\n` +
      `http: {addr: 127.0.0.1:${port}}\n${tokens.registryAuthConfig()}\n`,
  );
  const child = spawn('docker-registry', ['serve', path.join(dir, 'config.yml')], { stdio: 'ignore' });
  const host = `127.0.0.1:${port}`;
  try {
    await waitFor(
      'docker-registry (token auth)',
      async () => (await fetch(`http://${host}/v2/`)).status === 401,
    );
  } catch (err) {
    child.kill('SIGKILL');
    await tokens.stop();
    throw err;
  }
  return {
    host,
    tokens,
    async stop() {
      if (child.exitCode === null) {
        const closed = new Promise((r) => child.once('close', r));
        child.kill('SIGTERM');
        await closed;
      }
      await tokens.stop();
      rmSync(dir, { recursive: true, force: true });
    },
  };
}
