/**
 * OCI artifacts against the real docker-registry (Debian's distribution 2.8): blob uploads
 * (monolithic, chunked), artifact manifests with their own config media type, pull by tag and
 * digest, immutable tags, auth (htpasswd and Bearer tokens), and misbehaving registries: the
 * faulty proxy kills upload requests, a rewriting proxy (below) alters answers.
 */
import { createHash, randomBytes } from 'node:crypto';
import { readFileSync, writeFileSync } from 'node:fs';
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  type ArtifactSpec,
  buildArtifactManifest,
  MediaTypes,
  pullArtifact,
  pushArtifact,
  pushImmutable,
  RegistryClient,
  RegistryError,
  withDigest,
} from '../../actions/lib/registry/index.js';
import { drop, startFaultyProxy, status } from '../support/faulty-proxy.js';
import { startRegistry, type TestRegistry } from '../support/registry.js';
import { startTokenRegistry, type TokenRegistry } from '../promote-version/support/token-registry.js';

const HELM_CONFIG = 'application/vnd.cncf.helm.config.v1+json';
const HELM_CONTENT = 'application/vnd.cncf.helm.chart.content.v1.tar+gzip';
const PASSWORD = 'oci-Pa55word';
const FAST_RETRY = { retries: 3, baseDelayMs: 1, maxDelayMs: 5 };

const sha256 = (bytes: Buffer) => `sha256:${createHash('sha256').update(bytes).digest('hex')}`;

function chartSpec(version: string, content: Buffer): ArtifactSpec {
  return {
    config: {
      mediaType: HELM_CONFIG,
      bytes: Buffer.from(JSON.stringify({ apiVersion: 'v2', name: 'keystone', version })),
    },
    layers: [{ mediaType: HELM_CONTENT, bytes: content }],
    annotations: {
      'org.opencontainers.image.title': 'keystone',
      'org.opencontainers.image.version': version,
    },
  };
}

async function caught(promise: Promise<unknown>): Promise<RegistryError> {
  try {
    await promise;
  } catch (err) {
    expect(err).toBeInstanceOf(RegistryError);
    return err as RegistryError;
  }
  throw new Error('expected a RegistryError, the call succeeded');
}

/** A blob file in the registry's filesystem storage. */
function blobFile(registry: TestRegistry, digest: string): string {
  const hex = digest.split(':')[1];
  return path.join(registry.dir, 'data/docker/registry/v2/blobs/sha256', hex.slice(0, 2), hex, 'data');
}

interface Exchange {
  method: string;
  path: string;
  status: number;
  headers: http.IncomingHttpHeaders;
  body: Buffer;
}
type Rewrite = (exchange: Exchange) => Exchange | undefined;

/** A loopback proxy that buffers each answer of the upstream and lets the test rewrite it. */
async function startRewritingProxy(upstream: string) {
  const target = new URL(upstream);
  let rewrite: Rewrite = () => undefined;
  const seen: { method: string; path: string; authorized: boolean }[] = [];
  const agent = new http.Agent({ keepAlive: true });
  const server = http.createServer((req, res) => {
    const method = req.method ?? 'GET';
    const reqPath = req.url ?? '/';
    seen.push({ method, path: reqPath, authorized: req.headers.authorization !== undefined });
    const forward = http.request(
      { host: target.hostname, port: target.port, method, path: reqPath, headers: req.headers, agent },
      (up) => {
        const chunks: Buffer[] = [];
        up.on('data', (c: Buffer) => chunks.push(c));
        up.on('end', () => {
          const original: Exchange = {
            method,
            path: reqPath,
            status: up.statusCode ?? 502,
            headers: { ...up.headers },
            body: Buffer.concat(chunks),
          };
          const out = rewrite(original) ?? original;
          if (method !== 'HEAD') out.headers['content-length'] = String(out.body.length);
          delete out.headers['transfer-encoding'];
          res.writeHead(out.status, out.headers as http.OutgoingHttpHeaders);
          res.end(method === 'HEAD' ? undefined : out.body);
        });
      },
    );
    forward.on('error', () => {
      if (!res.headersSent) res.writeHead(502);
      res.end();
    });
    req.pipe(forward);
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  return {
    host: `127.0.0.1:${port}`,
    seen,
    setRewrite(next: Rewrite) {
      rewrite = next;
    },
    async stop() {
      agent.destroy();
      server.closeAllConnections();
      await new Promise<void>((resolve) => server.close(() => resolve()));
    },
  };
}

describe('withDigest', () => {
  it('adds digest= to an upload URL, keeping an existing query verbatim', () => {
    const digest = 'sha256:' + 'ab'.repeat(32);
    expect(withDigest('http://r:5000/v2/a/blobs/uploads/u1', digest)).toBe(
      `http://r:5000/v2/a/blobs/uploads/u1?digest=sha256%3A${'ab'.repeat(32)}`,
    );
    expect(withDigest('http://r:5000/v2/a/blobs/uploads/u1?_state=x%2By%3D%3D', digest)).toBe(
      `http://r:5000/v2/a/blobs/uploads/u1?_state=x%2By%3D%3D&digest=sha256%3A${'ab'.repeat(32)}`,
    );
  });
});

describe('buildArtifactManifest', () => {
  it('is an OCI image manifest with deterministic bytes, whatever the annotation order', () => {
    const content = Buffer.from('chart bytes');
    const a = buildArtifactManifest({
      ...chartSpec('1.0.0', content),
      annotations: { b: '2', a: '1' },
    });
    const b = buildArtifactManifest({
      ...chartSpec('1.0.0', content),
      annotations: { a: '1', b: '2' },
    });
    expect(a.bytes.equals(b.bytes)).toBe(true);
    expect(a.digest).toBe(sha256(a.bytes));
    expect(a.mediaType).toBe(MediaTypes.ociManifest);
    const doc = JSON.parse(a.bytes.toString()) as Record<string, unknown>;
    expect(doc).toEqual({
      schemaVersion: 2,
      mediaType: MediaTypes.ociManifest,
      config: {
        mediaType: HELM_CONFIG,
        digest: sha256(chartSpec('1.0.0', content).config.bytes),
        size: chartSpec('1.0.0', content).config.bytes.length,
      },
      layers: [{ mediaType: HELM_CONTENT, digest: sha256(content), size: content.length }],
      annotations: { a: '1', b: '2' },
    });
    expect(Object.keys(doc.annotations as object)).toEqual(['a', 'b']);
  });

  it('refuses an invalid media type, naming the field', () => {
    expect(() =>
      buildArtifactManifest({ config: { mediaType: 'not a type', bytes: Buffer.from('{}') }, layers: [] }),
    ).toThrow(/artifact config: invalid media type "not a type"/);
    expect(() =>
      buildArtifactManifest({
        config: { mediaType: MediaTypes.ociEmpty, bytes: Buffer.from('{}') },
        layers: [{ mediaType: '', bytes: Buffer.from('x') }],
      }),
    ).toThrow(/artifact layers\[0\]: invalid media type ""/);
  });
});

describe('docker-registry without auth', () => {
  let registry: TestRegistry;
  let client: RegistryClient;
  beforeAll(async () => {
    registry = await startRegistry();
    client = new RegistryClient({ host: registry.host, retry: FAST_RETRY });
  });
  afterAll(async () => {
    client?.close();
    await registry?.stop();
  });

  it('monolithic upload, pulled back equal; an existing blob is not uploaded again', async () => {
    const bytes = randomBytes(10_000);
    const first = await client.uploadBlob('oci/mono', bytes);
    expect(first).toEqual({ digest: sha256(bytes), size: 10_000, uploaded: true });
    expect(readFileSync(blobFile(registry, first.digest)).equals(bytes)).toBe(true);
    expect((await client.getBlob('oci/mono', first.digest)).equals(bytes)).toBe(true);
    expect(await client.uploadBlob('oci/mono', bytes)).toEqual({ ...first, uploaded: false });
    // An empty blob is a blob too.
    const empty = await client.uploadBlob('oci/mono', Buffer.alloc(0));
    expect(empty.digest).toBe(sha256(Buffer.alloc(0)));
    expect((await client.getBlob('oci/mono', empty.digest)).length).toBe(0);
  });

  it('chunked upload: one PATCH per chunk with Content-Range, each Location followed, then PUT ?digest=', async () => {
    const proxy = await startFaultyProxy(registry.url);
    const viaProxy = new RegistryClient({ host: proxy.host, retry: FAST_RETRY });
    try {
      const bytes = randomBytes(250_000);
      const result = await viaProxy.uploadBlob('oci/chunked', bytes, { chunkSize: 64 * 1024 });
      expect(result).toEqual({ digest: sha256(bytes), size: 250_000, uploaded: true });
      const steps = proxy.requests.filter((r) => r.method !== 'HEAD').map((r) => `${r.method} ${r.outcome}`);
      expect(steps).toEqual(['POST 202', 'PATCH 202', 'PATCH 202', 'PATCH 202', 'PATCH 202', 'PUT 201']);
      // Each PATCH went to the Location of the answer before it (the _state changes every time).
      const patches = proxy.requests.filter((r) => r.method === 'PATCH').map((r) => r.path);
      expect(new Set(patches).size).toBe(4);
      const put = proxy.requests.find((r) => r.method === 'PUT')!;
      expect(put.path).toMatch(/\?_state=[^&]+&digest=sha256%3A[0-9a-f]{64}$/);
      expect((await client.getBlob('oci/chunked', result.digest)).equals(bytes)).toBe(true);

      // Bytes that fit in one chunk go monolithic.
      proxy.requests.length = 0;
      const small = randomBytes(1000);
      await viaProxy.uploadBlob('oci/chunked', small, { chunkSize: 64 * 1024 });
      expect(proxy.requests.map((r) => r.method)).toEqual(['HEAD', 'POST', 'PUT']);
    } finally {
      viaProxy.close();
      await proxy.stop();
    }
  });

  it('an artifact with a Helm config media type is pushed, then pulled by tag and by digest with every blob verified', async () => {
    const content = randomBytes(150_000);
    const spec = chartSpec('0.3.1', content);
    spec.layers.push({
      mediaType: 'application/vnd.cncf.helm.chart.provenance.v1.prov',
      bytes: Buffer.from('-----BEGIN PGP SIGNED MESSAGE-----\n'),
      annotations: { 'org.opencontainers.image.title': 'keystone-0.3.1.tgz.prov' },
    });
    const pushed = await pushArtifact(client, 'oci/charts/keystone', '0.3.1', spec, { chunkSize: 50_000 });
    expect(pushed.digest).toBe(buildArtifactManifest(spec).digest);
    const head = await client.headManifest('oci/charts/keystone', '0.3.1');
    expect(head).toEqual({
      digest: pushed.digest,
      mediaType: MediaTypes.ociManifest,
      size: pushed.manifest.bytes.length,
    });

    for (const reference of ['0.3.1', pushed.digest]) {
      const pulled = await pullArtifact(client, 'oci/charts/keystone', reference);
      expect(pulled.reference).toBe(reference);
      expect(pulled.manifest.digest).toBe(pushed.digest);
      expect(pulled.manifest.bytes.equals(pushed.manifest.bytes)).toBe(true);
      expect(pulled.annotations).toEqual(spec.annotations);
      expect(pulled.config).toEqual({
        mediaType: HELM_CONFIG,
        digest: sha256(spec.config.bytes),
        size: spec.config.bytes.length,
        bytes: spec.config.bytes,
      });
      expect(pulled.layers.map((l) => l.mediaType)).toEqual([
        HELM_CONTENT,
        'application/vnd.cncf.helm.chart.provenance.v1.prov',
      ]);
      expect(pulled.layers[0].bytes.equals(content)).toBe(true);
      expect(pulled.layers[1].annotations).toEqual(spec.layers[1].annotations);
    }
    const pinned = await pullArtifact(client, 'oci/charts/keystone', '0.3.1', {
      expectedDigest: pushed.digest,
    });
    expect(pinned.manifest.digest).toBe(pushed.digest);
  });

  it('expectedDigest pins the manifest: another digest is refused', async () => {
    const pushed = await pushArtifact(
      client,
      'oci/charts/pinned',
      '1.0.0',
      chartSpec('1.0.0', randomBytes(100)),
    );
    const other = 'sha256:' + '0'.repeat(64);
    const err = await caught(pullArtifact(client, 'oci/charts/pinned', '1.0.0', { expectedDigest: other }));
    expect(err.details.code).toBe('DIGEST_INVALID');
    expect(err.message).toContain(`has digest ${pushed.digest}, expected ${other}`);
    // Unknown digest: the registry says so.
    const missing = await caught(pullArtifact(client, 'oci/charts/pinned', other));
    expect(missing.details.status).toBe(404);
    expect(missing.message).toMatch(/MANIFEST_UNKNOWN/);
  });

  it('an image index is refused as an artifact', async () => {
    const pushed = await pushArtifact(client, 'oci/indexed', 'child', chartSpec('1.0.0', randomBytes(64)));
    const index = Buffer.from(
      JSON.stringify({
        schemaVersion: 2,
        mediaType: MediaTypes.ociIndex,
        manifests: [
          {
            mediaType: MediaTypes.ociManifest,
            digest: pushed.digest,
            size: pushed.manifest.bytes.length,
            platform: { architecture: 'amd64', os: 'linux' },
          },
        ],
      }),
    );
    await client.putManifest('oci/indexed', 'multi', { bytes: index, mediaType: MediaTypes.ociIndex });
    const err = await caught(pullArtifact(client, 'oci/indexed', 'multi'));
    expect(err.message).toMatch(/oci\/indexed:multi: is an image index .*not an artifact manifest/);
  });

  it('pushImmutable: absent → pushed (planned on a dry run); same digest → unchanged; other → TAG_TAKEN, tag untouched', async () => {
    const repo = 'oci/taco-release';
    const spec = chartSpec('1.0.0', randomBytes(2000));
    const planned = await pushImmutable(client, repo, '1.0.0', spec, { dryRun: true });
    expect(planned.status).toBe('planned');
    expect(await client.headManifest(repo, '1.0.0')).toBeUndefined();

    const pushed = await pushImmutable(client, repo, '1.0.0', spec);
    expect(pushed.status).toBe('pushed');
    expect(pushed.digest).toBe(planned.digest);

    const proxy = await startFaultyProxy(registry.url);
    const viaProxy = new RegistryClient({ host: proxy.host, retry: FAST_RETRY });
    try {
      const again = await pushImmutable(viaProxy, repo, '1.0.0', spec);
      expect(again).toMatchObject({ status: 'unchanged', digest: pushed.digest });
      expect(proxy.requests.map((r) => r.method)).toEqual(['HEAD']);

      const other = chartSpec('1.0.0', randomBytes(2000));
      const err = await caught(pushImmutable(viaProxy, repo, '1.0.0', other));
      expect(err.details.code).toBe('TAG_TAKEN');
      expect(err.message).toContain(pushed.digest);
      expect(err.message).toContain(buildArtifactManifest(other).digest);
      expect(proxy.requests.some((r) => r.method === 'PUT' || r.method === 'POST')).toBe(false);
      expect((await client.headManifest(repo, '1.0.0'))?.digest).toBe(pushed.digest);
      // A dry run sees the conflict too.
      await expect(pushImmutable(viaProxy, repo, '1.0.0', other, { dryRun: true })).rejects.toThrow(
        /is taken/,
      );
    } finally {
      viaProxy.close();
      await proxy.stop();
    }
  });

  it('a blob tampered with in the registry storage is detected on pull', async () => {
    const content = Buffer.from('a'.repeat(5000));
    const pushed = await pushArtifact(client, 'oci/tampered', '1', chartSpec('1', content));
    const file = blobFile(registry, sha256(content));
    writeFileSync(file, Buffer.from('b'.repeat(5000)));
    const err = await caught(pullArtifact(client, 'oci/tampered', pushed.digest));
    expect(err.details.code).toBe('DIGEST_INVALID');
    expect(err.message).toContain(
      `oci/tampered@${sha256(content)}: the registry sent 5000 bytes with digest`,
    );
  });
});

describe('misbehaving registries (rewriting proxy)', () => {
  let registry: TestRegistry;
  let proxy: Awaited<ReturnType<typeof startRewritingProxy>>;
  let client: RegistryClient;
  beforeAll(async () => {
    registry = await startRegistry({ username: 'ci', password: PASSWORD });
    proxy = await startRewritingProxy(registry.url);
    client = new RegistryClient({
      host: proxy.host,
      credentials: { username: 'ci', password: PASSWORD },
      retry: { retries: 1, baseDelayMs: 1, maxDelayMs: 5 },
    });
  });
  afterAll(async () => {
    client?.close();
    await proxy?.stop();
    await registry?.stop();
  });

  it('relative upload Locations are followed', async () => {
    proxy.setRewrite((x) => {
      const location = x.headers.location;
      if (typeof location === 'string')
        x.headers.location = new URL(location).pathname + new URL(location).search;
      return x;
    });
    try {
      const bytes = randomBytes(70_000);
      expect((await client.uploadBlob('oci/relative', bytes, { chunkSize: 30_000 })).uploaded).toBe(true);
      expect((await client.uploadBlob('oci/relative', randomBytes(10))).uploaded).toBe(true);
      expect((await client.getBlob('oci/relative', sha256(bytes))).equals(bytes)).toBe(true);
    } finally {
      proxy.setRewrite(() => undefined);
    }
  });

  it('a registry that returns other bytes for a blob is caught (digest mismatch)', async () => {
    const spec = chartSpec('2.0.0', randomBytes(3000));
    const pushed = await pushArtifact(client, 'oci/wrong-bytes', '2.0.0', spec);
    proxy.setRewrite((x) =>
      x.method === 'GET' && x.path.includes(`/blobs/${sha256(spec.layers[0].bytes)}`)
        ? { ...x, body: Buffer.from(x.body).fill(0, 0, 10) }
        : undefined,
    );
    try {
      const err = await caught(
        pullArtifact(client, 'oci/wrong-bytes', '2.0.0', { expectedDigest: pushed.digest }),
      );
      expect(err.details.code).toBe('DIGEST_INVALID');
      expect(err.message).toMatch(/the registry sent 3000 bytes with digest sha256:/);
    } finally {
      proxy.setRewrite(() => undefined);
    }
  });

  it('a manifest altered in transit is caught', async () => {
    const pushed = await pushArtifact(client, 'oci/wrong-manifest', '1', chartSpec('1', randomBytes(10)));
    proxy.setRewrite((x) =>
      x.method === 'GET' && x.path.includes('/manifests/')
        ? { ...x, body: Buffer.from(x.body.toString().replace('"schemaVersion":2', '"schemaVersion": 2')) }
        : undefined,
    );
    try {
      const byDigest = await caught(pullArtifact(client, 'oci/wrong-manifest', pushed.digest));
      expect(byDigest.details.code).toBe('DIGEST_INVALID');
      const byTag = await caught(pullArtifact(client, 'oci/wrong-manifest', '1'));
      expect(byTag.message).toMatch(/Docker-Content-Digest says .* but the content hashes to/);
    } finally {
      proxy.setRewrite(() => undefined);
    }
  });

  it('a registry claiming another digest for an upload is refused at once', async () => {
    const bytes = randomBytes(500);
    proxy.setRewrite((x) =>
      x.method === 'PUT' && x.path.includes('/blobs/uploads/')
        ? { ...x, headers: { ...x.headers, 'docker-content-digest': 'sha256:' + 'f'.repeat(64) } }
        : undefined,
    );
    try {
      proxy.seen.length = 0;
      const err = await caught(client.uploadBlob('oci/claimed', bytes));
      expect(err.details.code).toBe('DIGEST_INVALID');
      expect(proxy.seen.filter((r) => r.method === 'POST')).toHaveLength(1);
      expect(err.message).toContain(`the registry stored the upload as sha256:${'f'.repeat(64)}`);
    } finally {
      proxy.setRewrite(() => undefined);
    }
  });

  it('getBlob follows a redirect to storage on another host without sending the registry credentials', async () => {
    const bytes = randomBytes(4000);
    const { digest } = await client.uploadBlob('oci/redirected', bytes);
    const storageSeen: { path: string; authorized: boolean }[] = [];
    let served = bytes;
    const storage = http.createServer((req, res) => {
      storageSeen.push({ path: req.url ?? '', authorized: req.headers.authorization !== undefined });
      res.writeHead(200, { 'content-type': 'application/octet-stream' });
      res.end(served);
    });
    await new Promise<void>((resolve) => storage.listen(0, '127.0.0.1', resolve));
    const storageUrl = `http://127.0.0.1:${(storage.address() as AddressInfo).port}`;
    proxy.setRewrite((x) =>
      x.method === 'GET' && x.path.endsWith(`/blobs/${digest}`)
        ? {
            ...x,
            status: 307,
            headers: { location: `${storageUrl}/bucket/${digest.slice(7)}?X-Signature=abc` },
            body: Buffer.alloc(0),
          }
        : undefined,
    );
    try {
      proxy.seen.length = 0;
      expect((await client.getBlob('oci/redirected', digest)).equals(bytes)).toBe(true);
      expect(proxy.seen.filter((r) => r.method === 'GET').every((r) => r.authorized)).toBe(true);
      expect(storageSeen).toEqual([
        { path: `/bucket/${digest.slice(7)}?X-Signature=abc`, authorized: false },
      ]);
      served = randomBytes(4000);
      const err = await caught(client.getBlob('oci/redirected', digest));
      expect(err.details.code).toBe('DIGEST_INVALID');
      proxy.setRewrite((x) =>
        x.method === 'GET' && x.path.endsWith(`/blobs/${digest}`)
          ? { ...x, status: 302, headers: { location: x.path }, body: Buffer.alloc(0) }
          : undefined,
      );
      await expect(client.getBlob('oci/redirected', digest)).rejects.toThrow(/more than 5 redirects/);
    } finally {
      proxy.setRewrite(() => undefined);
      storage.closeAllConnections();
      await new Promise<void>((resolve) => storage.close(() => resolve()));
    }
  });
});

describe('failures in the middle of a chunked upload (faulty proxy)', () => {
  let registry: TestRegistry;
  beforeAll(async () => {
    registry = await startRegistry();
  });
  afterAll(async () => {
    await registry?.stop();
  });

  it('a PATCH killed mid upload: the session is cancelled and the whole upload succeeds in a new one', async () => {
    const proxy = await startFaultyProxy(registry.url, [
      { method: 'PATCH', action: drop, skip: 1, times: 1 },
    ]);
    const client = new RegistryClient({ host: proxy.host, retry: FAST_RETRY });
    try {
      const bytes = randomBytes(200_000);
      const result = await client.uploadBlob('oci/retried', bytes, { chunkSize: 64 * 1024 });
      expect(result.uploaded).toBe(true);
      const methods = proxy.requests.map((r) => `${r.method} ${r.outcome}`);
      expect(methods).toEqual([
        'HEAD 404',
        'POST 202',
        'PATCH 202',
        'PATCH dropped',
        'DELETE 204',
        'HEAD 404',
        'POST 202',
        'PATCH 202',
        'PATCH 202',
        'PATCH 202',
        'PATCH 202',
        'PUT 201',
      ]);
      expect((await client.getBlob('oci/retried', result.digest)).equals(bytes)).toBe(true);
    } finally {
      client.close();
      await proxy.stop();
    }
  });

  it('a lost final PUT of a monolithic upload: a new session completes it', async () => {
    const proxy = await startFaultyProxy(registry.url, [{ method: 'PUT', action: drop, times: 1 }]);
    const client = new RegistryClient({ host: proxy.host, retry: FAST_RETRY });
    try {
      const bytes = randomBytes(5000);
      expect((await client.uploadBlob('oci/lost-put', bytes)).uploaded).toBe(true);
      expect(proxy.requests.filter((r) => r.method === 'POST')).toHaveLength(2);
      expect((await client.getBlob('oci/lost-put', sha256(bytes))).equals(bytes)).toBe(true);
      await expect(client.uploadBlob('oci/lost-put', bytes, { chunkSize: -1 })).rejects.toThrow(
        /chunkSize must be a non-negative integer, got -1/,
      );
    } finally {
      client.close();
      await proxy.stop();
    }
  });

  it('when every attempt fails the error says so, and nothing is left behind', async () => {
    const proxy = await startFaultyProxy(registry.url, [{ method: 'PATCH', action: status(500), skip: 1 }]);
    const client = new RegistryClient({
      host: proxy.host,
      retry: { retries: 2, baseDelayMs: 1, maxDelayMs: 5 },
    });
    try {
      const bytes = randomBytes(100_000);
      // The first attempt fails at its second chunk, the later ones at their first.
      const err = await caught(client.uploadBlob('oci/exhausted', bytes, { chunkSize: 40_000 }));
      expect(err.details.status).toBe(500);
      expect(err.message).toMatch(
        /^blob 127\.0\.0\.1:\d+\/oci\/exhausted@sha256:[0-9a-f]{64}: chunk 0-39999: HTTP 500 UNKNOWN \(injected 500\) \(upload gave up after 3 attempts\)$/,
      );
      expect(proxy.requests.filter((r) => r.method === 'POST')).toHaveLength(3);
      expect(proxy.requests.filter((r) => r.method === 'DELETE' && r.outcome === 204)).toHaveLength(3);
      expect(await client.blobExists('oci/exhausted', sha256(bytes))).toBe(false);
    } finally {
      client.close();
      await proxy.stop();
    }
  });

  it('a refused upload (auth) is not retried', async () => {
    const proxy = await startFaultyProxy(registry.url, [{ method: 'POST', action: status(403) }]);
    const client = new RegistryClient({ host: proxy.host, retry: FAST_RETRY });
    try {
      const err = await caught(client.uploadBlob('oci/refused', randomBytes(10)));
      expect(err.message).toMatch(/opening an upload: HTTP 403 .*lack permission/);
      expect(proxy.requests.filter((r) => r.method === 'POST')).toHaveLength(1);
    } finally {
      client.close();
      await proxy.stop();
    }
  });
});

describe('auth', () => {
  let basic: TestRegistry;
  let token: TokenRegistry;
  beforeAll(async () => {
    [basic, token] = await Promise.all([
      startRegistry({ username: 'ci', password: PASSWORD }),
      startTokenRegistry({ ci: PASSWORD }),
    ]);
  });
  afterAll(async () => {
    await basic?.stop();
    await token?.stop();
  });

  it('htpasswd: push and pull an artifact with credentials (chunked); without them a clear error', async () => {
    const client = new RegistryClient({
      host: basic.host,
      credentials: { username: 'ci', password: PASSWORD },
      retry: FAST_RETRY,
    });
    const anonymous = new RegistryClient({ host: basic.host, retry: FAST_RETRY });
    try {
      const spec = chartSpec('1.2.3', randomBytes(90_000));
      const pushed = await pushImmutable(client, 'taco/charts/keystone', '1.2.3', spec, {
        chunkSize: 32 * 1024,
      });
      expect(pushed.status).toBe('pushed');
      const pulled = await pullArtifact(client, 'taco/charts/keystone', '1.2.3', {
        expectedDigest: pushed.digest,
      });
      expect(pulled.layers[0].bytes.equals(spec.layers[0].bytes)).toBe(true);
      await expect(pullArtifact(anonymous, 'taco/charts/keystone', '1.2.3')).rejects.toThrow(
        /needs credentials and none were given/,
      );
      await expect(anonymous.uploadBlob('taco/charts/keystone', randomBytes(5))).rejects.toThrow(
        /HTTP 401.*needs credentials/,
      );
    } finally {
      client.close();
      anonymous.close();
    }
  });

  it('Bearer tokens: push and pull an artifact; tokens are asked for pull,push then pull', async () => {
    const client = new RegistryClient({
      host: token.host,
      credentials: { username: 'ci', password: PASSWORD },
      retry: FAST_RETRY,
    });
    try {
      const spec = chartSpec('4.5.6', randomBytes(80_000));
      const pushed = await pushArtifact(client, 'taco/taco-release', '4.5.6', spec, { chunkSize: 30_000 });
      const pulled = await pullArtifact(client, 'taco/taco-release', pushed.digest);
      expect(pulled.config.bytes.equals(spec.config.bytes)).toBe(true);
      expect(pulled.layers[0].bytes.equals(spec.layers[0].bytes)).toBe(true);
      const scopes = token.tokens.requests.filter((r) => r.status === 200).flatMap((r) => r.scopes);
      expect(scopes).toContain('repository:taco/taco-release:pull,push');
      expect(scopes).toContain('repository:taco/taco-release:pull');
    } finally {
      client.close();
    }
  });
});
