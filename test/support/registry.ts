/**
 * A real Docker registry (Debian's docker-registry) on 127.0.0.1 in a temp dir, optionally with
 * htpasswd basic auth. Stop it with `stop()` (by PID).
 */
import { execFileSync, spawn } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { freePort, waitFor } from './ports.js';

export interface TestRegistry {
  /** host:port, e.g. 127.0.0.1:41234 */
  host: string;
  url: string;
  dir: string;
  pid: number;
  stop(): Promise<void>;
}

export async function startRegistry(
  options: { username?: string; password?: string } = {},
): Promise<TestRegistry> {
  const dir = mkdtempSync(path.join(os.tmpdir(), 'registry-'));
  const port = await freePort();
  const auth =
    options.username && options.password
      ? `auth: {htpasswd: {realm: test, path: ${path.join(dir, 'htpasswd')}}}\n`
      : '';
  if (auth) {
    const line = execFileSync('htpasswd', ['-Bbn', options.username!, options.password!], {
      encoding: 'utf8',
    });
    writeFileSync(path.join(dir, 'htpasswd'), line.trim() + '\n');
  }
  writeFileSync(
    path.join(dir, 'config.yml'),
    `version: 0.1\nlog: {level: error}\nstorage: {filesystem: {rootdirectory: ${path.join(dir, 'data')}}, delete: {enabled: true}}\n` +
      `http: {addr: 127.0.0.1:${port}}\n${auth}`,
  );
  const child = spawn('docker-registry', ['serve', path.join(dir, 'config.yml')], { stdio: 'ignore' });
  const host = `127.0.0.1:${port}`;
  const url = `http://${host}`;
  await waitFor('docker-registry', async () => {
    const res = await fetch(`${url}/v2/`);
    return res.status === 200 || res.status === 401;
  });
  return {
    host,
    url,
    dir,
    pid: child.pid!,
    async stop() {
      if (child.exitCode === null) {
        const closed = new Promise((r) => child.once('close', r));
        child.kill('SIGTERM');
        await closed;
      }
      rmSync(dir, { recursive: true, force: true });
    },
  };
}
