/**
 * The registry client against real docker-registry instances (htpasswd Basic auth, Bearer tokens
 * from test/support/token-server.ts), the faulty proxy for retries, and a fake for Link pagination.
 */
import { createHash } from 'node:crypto';
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { RegistryClient } from '../../actions/lib/registry/client.js';
import { copyManifest } from '../../actions/lib/registry/copy.js';
import { RegistryError } from '../../actions/lib/registry/errors.js';
import { drop, startFaultyProxy, status } from '../support/faulty-proxy.js';
import { startRegistry, type TestRegistry } from '../support/registry.js';
import { startTokenRegistry, type TokenRegistry } from './support/token-registry.js';
import { promoteRun, pushCandidates, servedDigest } from './support/world.js';

const PASSWORD = 's3cret-Pa55word';

describe('htpasswd registry (Basic auth)', () => {
  let registry: TestRegistry;
  let digest: string;
  beforeAll(async () => {
    registry = await startRegistry({ username: 'ci', password: PASSWORD });
    const pushed = await pushCandidates(registry.host, 'taco', ['nightly-1'], {
      creds: `ci:${PASSWORD}`,
      images: ['a'],
    });
    digest = pushed.digests['a:nightly-1'];
  });
  afterAll(async () => {
    await registry?.stop();
  });

  it('copies with Basic credentials; wrong or missing credentials give a clear error', async () => {
    const good = new RegistryClient({
      host: registry.host,
      credentials: { username: 'ci', password: PASSWORD },
    });
    try {
      await good.ping();
      const result = await copyManifest(good, {
        sourceRepository: 'taco/candidates/a',
        sourceReference: 'nightly-1',
        targetRepository: 'taco/copy/a',
        targetReference: 'x',
      });
      expect(result.digest).toBe(digest);
    } finally {
      good.close();
    }
    const bad = new RegistryClient({
      host: registry.host,
      credentials: { username: 'ci', password: 'wrong-password' },
    });
    await expect(bad.ping()).rejects.toThrow(/HTTP 401 UNAUTHORIZED.*\(the credentials were refused\)/);
    bad.close();
    const none = new RegistryClient({ host: registry.host });
    await expect(none.getManifest('taco/candidates/a', 'nightly-1')).rejects.toThrow(
      /needs credentials and none were given/,
    );
    none.close();
  });

  it('Debian registry: tags/list ignores n and sends no Link header; the client still gets every tag', async () => {
    const client = new RegistryClient({
      host: registry.host,
      credentials: { username: 'ci', password: PASSWORD },
    });
    try {
      for (const tag of ['t1', 't2', 't3']) {
        await client.putManifest(
          'taco/candidates/a',
          tag,
          await client.getManifest('taco/candidates/a', digest),
        );
      }
      const raw = await client.request({
        method: 'GET',
        path: '/v2/taco/candidates/a/tags/list?n=1',
        scopes: [],
      });
      expect(raw.headers.link).toBeUndefined();
      expect((await client.listTags('taco/candidates/a', 1)).sort()).toEqual(['nightly-1', 't1', 't2', 't3']);
      expect(await client.listTags('taco/does-not-exist')).toEqual([]);
    } finally {
      client.close();
    }
  });

  it('never prints credentials: promotion output, summary, outputs and errors', async () => {
    const basic = Buffer.from(`ci:${PASSWORD}`).toString('base64');
    const ok = await promoteRun({
      registry: `${registry.host}/taco`,
      images: 'candidates/a',
      candidate: 'nightly-1',
      'target-prefix': 'release',
      'registry-username': 'ci',
      'registry-password': PASSWORD,
    });
    expect(ok.error).toBeUndefined();
    expect(await servedDigest(registry.host, 'taco/release/a', '1.0.0', `ci:${PASSWORD}`)).toBe(digest);
    // a profile-sourced password, refused by the registry
    const refused = await promoteRun(
      {
        registry: `${registry.host}/taco`,
        images: 'candidates/a',
        candidate: 'nightly-1',
        'registry-username': 'ci',
        'registry-password': `${PASSWORD}-wrong`,
      },
      {},
    );
    expect(refused.error?.message).toMatch(/credentials were refused/);
    for (const run of [ok, refused]) {
      const everything = `${run.log}\n${run.summary}\n${JSON.stringify(run.outputs)}\n${run.error?.stack ?? ''}`;
      for (const secret of [
        PASSWORD,
        basic,
        Buffer.from(PASSWORD).toString('base64'),
        Buffer.from(`ci:${PASSWORD}-wrong`).toString('base64'),
      ]) {
        expect(everything).not.toContain(secret);
      }
    }
  });
});

describe('Bearer token flow (real registry with auth: token)', () => {
  let registry: TokenRegistry;
  let digest: string;
  beforeAll(async () => {
    registry = await startTokenRegistry({ ci: PASSWORD });
    digest = (
      await pushCandidates(registry.host, 'taco', ['nightly-1'], { creds: `ci:${PASSWORD}`, images: ['a'] })
    ).digests['a:nightly-1'];
  });
  afterAll(async () => {
    await registry?.stop();
  });

  it('answers the challenge with a token per repository scope, reused for every request it covers', async () => {
    const before = registry.tokens.requests.length;
    const run = await promoteRun({
      registry: `${registry.host}/taco`,
      images: 'candidates/a',
      candidate: 'nightly-1',
      'target-prefix': 'release',
      'registry-username': 'ci',
      'registry-password': PASSWORD,
    });
    expect(run.error).toBeUndefined();
    expect(JSON.parse(run.outputs.promoted)[0].digest).toBe(digest);
    const requests = registry.tokens.requests.slice(before);
    expect(
      requests.every((r) => r.user === 'ci' && r.service === registry.tokens.service && r.status === 200),
    ).toBe(true);
    const scopeSets = requests.map((r) => [...r.scopes].sort().join(' '));
    // one token per distinct scope set: no repeated token fetches
    expect(new Set(scopeSets).size).toBe(scopeSets.length);
    expect(scopeSets).toContain('repository:taco/candidates/a:pull');
    expect(scopeSets).toContain('repository:taco/candidates/a:pull repository:taco/release/a:pull,push');
    expect(`${run.log}${run.summary}`).not.toContain(PASSWORD);
  });

  it('reports a refused token request clearly', async () => {
    const client = new RegistryClient({
      host: registry.host,
      credentials: { username: 'ci', password: 'nope-nope' },
    });
    try {
      await expect(client.getManifest('taco/candidates/a', 'nightly-1')).rejects.toThrow(
        /token server .* refused a token for repository:taco\/candidates\/a:pull: HTTP 401.*credentials were refused/,
      );
    } finally {
      client.close();
    }
  });
});

describe('retries (faulty proxy) and Link pagination (fake)', () => {
  let registry: TestRegistry;
  beforeAll(async () => {
    registry = await startRegistry();
    await pushCandidates(registry.host, 'taco', ['nightly-1'], { images: ['a'] });
  });
  afterAll(async () => {
    await registry?.stop();
  });

  it('retries 500s and resets, then gives up with the status after the configured retries', async () => {
    const proxy = await startFaultyProxy(registry.url, [
      { method: 'GET', path: /manifests\/nightly-1/, action: status(500), times: 2 },
      { method: 'HEAD', path: /manifests\/nightly-1/, action: drop, times: 1 },
    ]);
    const lines: string[] = [];
    const client = new RegistryClient({
      host: proxy.host,
      retry: { retries: 2, baseDelayMs: 10 },
      log: (l) => lines.push(l),
    });
    try {
      expect((await client.getManifest('taco/candidates/a', 'nightly-1')).mediaType).toBe(
        'application/vnd.oci.image.manifest.v1+json',
      );
      expect(await client.headManifest('taco/candidates/a', 'nightly-1')).toBeDefined();
      expect(proxy.requests.map((r) => r.outcome)).toEqual([500, 500, 200, 'dropped', 200]);
      expect(lines).toHaveLength(3);
      proxy.setRules([{ path: /manifests\/nightly-1/, action: status(503) }]);
      const error = await client.getManifest('taco/candidates/a', 'nightly-1').catch((e: unknown) => e);
      expect(error).toBeInstanceOf(RegistryError);
      expect((error as RegistryError).details.status).toBe(503);
      expect(proxy.requests.slice(5).map((r) => r.outcome)).toEqual([503, 503, 503]);
    } finally {
      client.close();
      await proxy.stop();
    }
  });

  it('promotes an image with one manifest GET, one tag list, the mounts and one PUT: no HEAD, no read-back', async () => {
    const proxy = await startFaultyProxy(registry.url);
    try {
      const run = await promoteRun({
        registry: `${proxy.host}/taco`,
        images: 'candidates/a',
        candidate: 'nightly-1',
        'target-prefix': 'counted',
      });
      expect(run.error).toBeUndefined();
      const kinds = proxy.requests.map(
        (r) => `${r.method} ${r.path.replace(/\/v2\/taco\/[^?]*?\/(manifests|blobs|tags)\/.*$/, '$1')}`,
      );
      expect(kinds.sort()).toEqual([
        'GET /v2/',
        'GET manifests', // the candidate: verified and later PUT from these bytes
        'GET tags', // the release repository's tags (next-major); they also show the release tag free
        'POST blobs',
        'POST blobs',
        'POST blobs',
        'POST blobs', // config + 3 layers mounted across repositories
        'PUT manifests', // its Docker-Content-Digest proves the stored bytes
      ]);
      expect(await servedDigest(registry.host, 'taco/counted/a', '1.0.0')).toBe(
        JSON.parse(run.outputs.promoted)[0].digest,
      );
    } finally {
      await proxy.stop();
    }
  });

  it('refuses content whose digest is not the one asked for or claimed, and a tag that reads back wrong', async () => {
    // A fake registry that lies: wrong Docker-Content-Digest on GET, another digest stored by a PUT
    // (6.6.6), or no digest on the PUT answer and another one read back (9.9.9).
    const manifest = Buffer.from(
      JSON.stringify({
        schemaVersion: 2,
        mediaType: 'application/vnd.oci.image.manifest.v1+json',
        config: { mediaType: 'application/vnd.oci.image.config.v1+json', digest: 'sha256:c', size: 1 },
        layers: [],
      }),
    );
    const real = `sha256:${createHash('sha256').update(manifest).digest('hex')}`;
    const other = `sha256:${'0'.repeat(64)}`;
    const server = http.createServer((req, res) => {
      req.resume();
      req.on('end', () => {
        const lie = req.url?.includes('/lying/') || req.url?.endsWith('/manifests/9.9.9');
        if (req.method === 'GET') {
          res.writeHead(200, {
            'content-type': 'application/vnd.oci.image.manifest.v1+json',
            'docker-content-digest': lie ? other : real,
          });
          res.end(manifest);
        } else if (req.method === 'PUT') {
          if (req.url?.endsWith('/manifests/9.9.9')) res.writeHead(201);
          else res.writeHead(201, { 'docker-content-digest': req.url?.endsWith('/6.6.6') ? other : real });
          res.end();
        } else {
          res.writeHead(200, {
            'docker-content-digest': lie ? other : real,
            'content-type': 'application/vnd.oci.image.manifest.v1+json',
          });
          res.end();
        }
      });
    });
    await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
    const client = new RegistryClient({ host: `127.0.0.1:${(server.address() as AddressInfo).port}` });
    try {
      await expect(client.getManifest('lying/a', 'x')).rejects.toThrow(
        `Docker-Content-Digest says ${other} but the content hashes to ${real}`,
      );
      await expect(client.getManifest('ok/a', other)).rejects.toThrow(
        `the registry sent content with digest ${real}`,
      );
      await expect(
        copyManifest(client, {
          sourceRepository: 'ok/a',
          sourceReference: 'x',
          targetRepository: 'ok/a',
          targetReference: '1.0.0',
          expectedDigest: other,
        }),
      ).rejects.toThrow(/sent content with digest/);
      expect(
        (
          await copyManifest(client, {
            sourceRepository: 'ok/a',
            sourceReference: 'x',
            targetRepository: 'ok/a',
            targetReference: '1.0.0',
          })
        ).digest,
      ).toBe(real);
      await expect(
        copyManifest(client, {
          sourceRepository: 'ok/a',
          sourceReference: 'x',
          targetRepository: 'ok/a',
          targetReference: '9.9.9',
        }),
      ).rejects.toThrow(`verification failed, it resolves to ${other} instead of ${real}`);
      await expect(
        copyManifest(client, {
          sourceRepository: 'ok/a',
          sourceReference: 'x',
          targetRepository: 'ok/a',
          targetReference: '6.6.6',
        }),
      ).rejects.toThrow(`the registry stored digest ${other} for content with digest ${real}`);
    } finally {
      client.close();
      server.closeAllConnections();
      await new Promise((r) => server.close(r));
    }
  });

  it('follows Link headers across tags/list pages', async () => {
    // A fake of a paginating registry (distribution ≥ 2.8 upstream, Harbor, GHCR honour n/last).
    const all = Array.from({ length: 7 }, (_, i) => `v${i}`);
    const seen: string[] = [];
    const server = http.createServer((req, res) => {
      const url = new URL(req.url ?? '/', 'http://x');
      seen.push(`${url.pathname}${url.search}`);
      const n = Number(url.searchParams.get('n') ?? 100);
      const last = url.searchParams.get('last');
      const start = last ? all.indexOf(last) + 1 : 0;
      const page = all.slice(start, start + n);
      const headers: Record<string, string> = { 'content-type': 'application/json' };
      if (start + n < all.length)
        headers.link = `</v2/x/tags/list?n=${n}&last=${page[page.length - 1]}>; rel="next"`;
      res.writeHead(200, headers);
      res.end(JSON.stringify({ name: 'x', tags: page }));
    });
    await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
    const client = new RegistryClient({ host: `127.0.0.1:${(server.address() as AddressInfo).port}` });
    try {
      expect(await client.listTags('x', 3)).toEqual(all);
      expect(seen).toEqual([
        '/v2/x/tags/list?n=3',
        '/v2/x/tags/list?n=3&last=v2',
        '/v2/x/tags/list?n=3&last=v5',
      ]);
    } finally {
      client.close();
      server.closeAllConnections();
      await new Promise((r) => server.close(r));
    }
  });
});
