/**
 * bats-core selection: a new-enough bats on PATH is used as is; an old one is passed over for the
 * pinned release, which the tool installer downloads (here from a 127.0.0.1 server standing in for
 * the npm registry), verifies and caches.
 */
import { execFileSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import { chmodSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { BATS_TOOL, resolveBats } from '../../actions/kolla-bats/bats.js';

const dir = mkdtempSync(path.join(os.tmpdir(), 'kolla-bats-install-'));
const saved = {
  PATH: process.env.PATH,
  RUNNER_TOOL_CACHE: process.env.RUNNER_TOOL_CACHE,
  RUNNER_TEMP: process.env.RUNNER_TEMP,
};
const ctx = { info: () => undefined, debug: () => undefined, signal: new AbortController().signal };
let server: http.Server;
let base: string;
let downloads = 0;
let tarball: Buffer;

function fakeBats(folder: string, version: string): void {
  mkdirSync(folder, { recursive: true });
  writeFileSync(path.join(folder, 'bats'), `#!/bin/sh\necho "Bats ${version}"\n`);
  chmodSync(path.join(folder, 'bats'), 0o755);
}

beforeAll(async () => {
  // The release archive's layout: package/bin/bats (npm tarball of bats-core).
  fakeBats(path.join(dir, 'release', 'package', 'bin'), BATS_TOOL.version);
  execFileSync('tar', ['-C', path.join(dir, 'release'), '-czf', path.join(dir, 'bats.tgz'), 'package']);
  tarball = readFileSync(path.join(dir, 'bats.tgz'));
  server = http.createServer((_req, res) => {
    downloads++;
    res.writeHead(200, { 'Content-Type': 'application/octet-stream' }).end(tarball);
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  fakeBats(path.join(dir, 'old'), '1.2.1');
  fakeBats(path.join(dir, 'new'), '1.8.2');
  process.env.RUNNER_TOOL_CACHE = path.join(dir, 'tool-cache');
  process.env.RUNNER_TEMP = path.join(dir, 'temp');
});

afterAll(async () => {
  Object.assign(process.env, saved);
  await new Promise((resolve) => server.close(resolve));
  rmSync(dir, { recursive: true, force: true });
});

describe('resolveBats', () => {
  it('uses a bats ≥ 1.5.0 from PATH', async () => {
    process.env.PATH = `${path.join(dir, 'new')}:/usr/bin:/bin`;
    expect(await resolveBats(ctx, { ...BATS_TOOL, url: `${base}/bats.tgz` })).toEqual({
      path: path.join(dir, 'new', 'bats'),
      version: '1.8.2',
    });
    expect(downloads).toBe(0);
  });

  it('installs the pinned release when PATH has only an old bats, once', async () => {
    process.env.PATH = `${path.join(dir, 'old')}:/usr/bin:/bin`;
    const spec = {
      ...BATS_TOOL,
      url: `${base}/bats.tgz`,
      sha256: createHash('sha256').update(tarball).digest('hex'),
    };
    const first = await resolveBats(ctx, spec);
    expect(first.version).toBe(BATS_TOOL.version);
    expect(first.path).toBe(
      path.join(dir, 'tool-cache', 'bats', BATS_TOOL.version, 'x64', 'package', 'bin', 'bats'),
    );
    expect(execFileSync(first.path, ['--version'], { encoding: 'utf8' })).toContain(
      `Bats ${BATS_TOOL.version}`,
    );
    expect(await resolveBats(ctx, spec)).toEqual(first);
    expect(downloads).toBe(1);
  });

  it('refuses a download whose checksum does not match the pin', async () => {
    process.env.PATH = '/nonexistent';
    const spec = { ...BATS_TOOL, version: '1.13.1', url: `${base}/bats.tgz`, sha256: '0'.repeat(64) };
    await expect(resolveBats(ctx, spec)).rejects.toThrow(
      /has SHA-256 [0-9a-f]{64}, expected 0{64}; refusing to install it/,
    );
  });
});
