import { execFileSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import { chmodSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { failureKind } from '../../actions/lib/errors.js';
import { ensureTool, type ToolSpec } from '../../actions/lib/tool-installer.js';

const log = { info: () => undefined, debug: () => undefined, signal: new AbortController().signal };
let server: http.Server;
let base: string;
let tarball: Buffer;
let requests: string[];
let work: string;

function makeTarball(dir: string, version: string): Buffer {
  const root = path.join(dir, `faketool-${version}`);
  mkdirSync(path.join(root, 'bin'), { recursive: true });
  writeFileSync(path.join(root, 'bin', 'faketool'), `#!/bin/sh\necho "faketool ${version}"\n`);
  chmodSync(path.join(root, 'bin', 'faketool'), 0o755);
  const file = path.join(dir, `faketool-${version}.tar.gz`);
  execFileSync('tar', ['-C', dir, '-czf', file, `faketool-${version}`]);
  return readFileSync(file);
}

const sha256 = (data: Buffer) => createHash('sha256').update(data).digest('hex');

function spec(overrides: Partial<ToolSpec> = {}): ToolSpec {
  return {
    name: 'faketool',
    version: '1.2.3',
    url: `${base}/faketool-1.2.3.tar.gz`,
    sha256: sha256(tarball),
    archive: 'tar.gz',
    binPath: 'faketool-1.2.3/bin/faketool',
    versionArgs: ['--version'],
    ...overrides,
  };
}

beforeAll(async () => {
  work = mkdtempSync(path.join(os.tmpdir(), 'tool-installer-'));
  tarball = makeTarball(work, '1.2.3');
  server = http.createServer((req, res) => {
    requests.push(req.url ?? '');
    if (req.url === '/faketool-1.2.3.tar.gz') res.end(tarball);
    else res.writeHead(404).end();
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
});

afterAll(() => new Promise<void>((r) => server.close(() => r())));

beforeEach(() => {
  requests = [];
  const run = mkdtempSync(path.join(work, 'run-'));
  process.env.RUNNER_TOOL_CACHE = path.join(run, 'cache');
  process.env.RUNNER_TEMP = path.join(run, 'temp');
});

describe('ensureTool', () => {
  it('downloads, verifies, caches, and then uses the cache', async () => {
    const binary = await ensureTool(log, spec());
    expect(execFileSync(binary, ['--version'], { encoding: 'utf8' })).toBe('faketool 1.2.3\n');
    expect(binary.startsWith(process.env.RUNNER_TOOL_CACHE!)).toBe(true);
    expect(await ensureTool(log, spec())).toBe(binary);
    expect(requests).toEqual(['/faketool-1.2.3.tar.gz']);
  });

  it('refuses a tarball whose SHA-256 does not match and caches nothing', async () => {
    const wrong = '0'.repeat(64);
    const refused = await ensureTool(log, spec({ sha256: wrong })).catch((err: unknown) => err);
    expect(refused).toBeInstanceOf(Error);
    expect((refused as Error).message).toBe(
      `faketool 1.2.3: the download from ${base}/faketool-1.2.3.tar.gz has SHA-256 ${sha256(tarball)}, expected ${wrong}; refusing to install it`,
    );
    // A download that is not what was pinned is the download's failure, not the caller's mistake.
    expect(failureKind(refused)).toBe('failure');
    const cache = process.env.RUNNER_TOOL_CACHE!;
    const cached = (() => {
      try {
        return readdirSync(path.join(cache, 'faketool'));
      } catch {
        return [];
      }
    })();
    expect(cached).toEqual([]);
    // Nothing cached: the next call downloads again.
    await expect(ensureTool(log, spec({ sha256: wrong }))).rejects.toThrow(/refusing/);
    expect(requests).toHaveLength(2);
  });

  it('uses a binary of the same version already on PATH', async () => {
    const bin = mkdtempSync(path.join(work, 'path-'));
    writeFileSync(path.join(bin, 'faketool'), '#!/bin/sh\necho "faketool version 1.2.3"\n');
    chmodSync(path.join(bin, 'faketool'), 0o755);
    const saved = process.env.PATH;
    process.env.PATH = `${bin}:${saved}`;
    try {
      expect(await ensureTool(log, spec())).toBe(path.join(bin, 'faketool'));
      expect(requests).toEqual([]);
      expect(
        await ensureTool(log, spec({ version: '9.9.9', url: `${base}/missing.tar.gz` })).catch(
          (e) => e.message,
        ),
      ).toMatch(/404/);
    } finally {
      process.env.PATH = saved;
    }
  });

  it('says which file an archive lacks', async () => {
    await expect(
      ensureTool(log, spec({ binPath: 'faketool-1.2.3/bin/other', versionArgs: undefined })),
    ).rejects.toThrow(
      `faketool 1.2.3: the archive from ${base}/faketool-1.2.3.tar.gz has no faketool-1.2.3/bin/other`,
    );
  });
});
