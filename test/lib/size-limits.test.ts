/**
 * Finding 6 of issue 17: untrusted data has caps. Oversized registry answers, chart archives whose
 * subcharts together decompress past Helm's 100 MiB, and Armada `tar` sources (too big, a gzip
 * bomb, a wrong sha256, plain http to another host) all fail with an error naming the limit, and
 * nothing of them is used. Servers are plain Node listeners on 127.0.0.1.
 */
import { createHash } from 'node:crypto';
import { existsSync, mkdirSync, writeFileSync } from 'node:fs';
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import path from 'node:path';
import zlib from 'node:zlib';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ChartPreparer } from '../../actions/deploy-armada/charts.js';
import type { PlannedChart } from '../../actions/lib/armada/index.js';
import { ArchiveBudget, MAX_CHART_SIZE, packTar, packTgz } from '../../actions/lib/charts/archive.js';
import { loadChartFiles } from '../../actions/lib/charts/load.js';
import { RegistryClient } from '../../actions/lib/registry/client.js';
import { tempDir } from '../deploy-armada/support.js';

interface Served {
  /** Bytes the handler managed to write before the client hung up. */
  written: number;
  closedEarly: boolean;
}

/** A loopback server whose routes stream `size` bytes of `fill`, with or without Content-Length. */
async function serve(
  routes: Record<string, { size: number; declare: boolean; body?: Buffer; type?: string }>,
): Promise<{ url: string; host: string; served: Map<string, Served>; stop(): Promise<void> }> {
  const served = new Map<string, Served>();
  const server = http.createServer((req, res) => {
    const route = routes[(req.url ?? '').split('?')[0]];
    if (!route) {
      res.writeHead(404).end();
      return;
    }
    const record: Served = { written: 0, closedEarly: false };
    served.set(req.url ?? '', record);
    res.on('close', () => {
      record.closedEarly = !res.writableFinished;
    });
    res.writeHead(200, {
      'content-type': route.type ?? 'application/octet-stream',
      ...(route.declare ? { 'content-length': String(route.body?.length ?? route.size) } : {}),
    });
    if (route.body) {
      res.end(route.body);
      return;
    }
    const chunk = Buffer.alloc(64 * 1024, 0x20);
    const pump = () => {
      while (record.written < route.size && !res.destroyed) {
        const n = Math.min(chunk.length, route.size - record.written);
        record.written += n;
        if (!res.write(chunk.subarray(0, n))) return void res.once('drain', pump);
      }
      if (!res.destroyed) res.end();
    };
    pump();
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const host = `127.0.0.1:${(server.address() as AddressInfo).port}`;
  return {
    url: `http://${host}`,
    host,
    served,
    async stop() {
      server.closeAllConnections();
      await new Promise<void>((resolve) => server.close(() => resolve()));
    },
  };
}

const MiB = 1024 * 1024;

describe('registry answers have caps', () => {
  let registry: Awaited<ReturnType<typeof serve>>;
  let client: RegistryClient;
  beforeAll(async () => {
    registry = await serve({
      '/v2/a/b/manifests/huge': { size: 64 * MiB, declare: false },
      '/v2/a/b/tags/list': { size: 64 * MiB, declare: false },
      '/v2/a/b/blobs/sha256:0000000000000000000000000000000000000000000000000000000000000000': {
        size: 2 * 1024 * MiB,
        declare: true,
      },
    });
    client = new RegistryClient({ host: registry.host, retry: { retries: 0 } });
  });
  afterAll(async () => {
    client?.close();
    await registry?.stop();
  });

  it('a manifest streamed past 4 MiB is cut off and refused, naming the limit', async () => {
    await expect(client.getManifest('a/b', 'huge')).rejects.toThrow(
      /GET http:\/\/127\.0\.0\.1:\d+\/v2\/a\/b\/manifests\/huge: the answer is larger than the 4 MiB limit/,
    );
    await new Promise((r) => setTimeout(r, 50));
    const served = registry.served.get('/v2/a/b/manifests/huge')!;
    expect(served.closedEarly).toBe(true);
    expect(served.written).toBeLessThan(64 * MiB);
  });

  it('any other answer (a tag list) is capped at 16 MiB', async () => {
    await expect(client.listTags('a/b')).rejects.toThrow(/larger than the 16 MiB limit/);
  });

  it('a blob that declares more than 100 MiB is refused before its body is read', async () => {
    const digest = `sha256:${'0'.repeat(64)}`;
    await expect(client.getBlob('a/b', digest)).rejects.toMatchObject({
      message: expect.stringMatching(/larger than the 100 MiB limit/),
      details: { code: 'SIZE_EXCEEDED' },
    });
    await new Promise((r) => setTimeout(r, 50));
    expect(registry.served.get(`/v2/a/b/blobs/${digest}`)!.closedEarly).toBe(true);
  });
});

describe('chart archives share one 100 MiB budget with all their subcharts', () => {
  /** A subchart .tgz holding `size` zero bytes (a few KiB compressed). */
  async function subchart(name: string, size: number, nested: { name: string; data: Buffer }[] = []) {
    return packTgz([
      { name: `${name}/Chart.yaml`, data: Buffer.from(`apiVersion: v2\nname: ${name}\nversion: 0.1.0\n`) },
      { name: `${name}/files/blob`, data: Buffer.alloc(size) },
      ...nested.map((n) => ({ name: `${name}/charts/${n.name}`, data: n.data })),
    ]);
  }
  const parent = (files: { name: string; data: Buffer }[]) => [
    { name: 'Chart.yaml', data: Buffer.from('apiVersion: v2\nname: parent\nversion: 0.1.0\n') },
    ...files,
  ];

  it('one 60 MiB subchart loads; two of them (120 MiB together) are refused', async () => {
    const a = await subchart('a', 60 * MiB);
    const b = await subchart('b', 60 * MiB);
    const one = await loadChartFiles(parent([{ name: 'charts/a-0.1.0.tgz', data: a }]), 'parent');
    expect(one.subcharts.map((s) => s.metadata.name)).toEqual(['a']);
    await expect(
      loadChartFiles(
        parent([
          { name: 'charts/a-0.1.0.tgz', data: a },
          { name: 'charts/b-0.1.0.tgz', data: b },
        ]),
        'parent',
      ),
    ).rejects.toThrow(
      'parent/charts/b-0.1.0.tgz: a chart with all its subchart archives may hold at most 100 MiB decompressed',
    );
  });

  it('nesting does not reset the budget', async () => {
    const inner = await subchart('inner', 600 * 1024);
    const outer = await subchart('outer', 600 * 1024, [{ name: 'inner-0.1.0.tgz', data: inner }]);
    const files = parent([{ name: 'charts/outer-0.1.0.tgz', data: outer }]);
    await loadChartFiles(files, 'parent', new ArchiveBudget(2 * MiB));
    await expect(loadChartFiles(files, 'parent', new ArchiveBudget(MiB))).rejects.toThrow(
      /charts\/inner-0\.1\.0\.tgz: .*at most 1 MiB/,
    );
  });

  it('a budget is spent by what was read before', () => {
    const budget = new ArchiveBudget();
    budget.take(MAX_CHART_SIZE, 'first');
    expect(() => budget.take(1, 'second')).toThrow(/^second: .*100 MiB/);
  });
});

describe('Armada tar chart sources', () => {
  let dir: string;
  let chartTgz: Buffer;
  let bomb: Buffer;
  let server: Awaited<ReturnType<typeof serve>>;
  beforeAll(async () => {
    dir = tempDir();
    chartTgz = zlib.gzipSync(
      await packTar([
        { name: 'glance/Chart.yaml', data: Buffer.from('apiVersion: v2\nname: glance\nversion: 0.1.0\n') },
      ]),
    );
    // 3 MiB of zeros: a few KiB on the wire, over a 1 MiB limit once decompressed.
    bomb = zlib.gzipSync(await packTar([{ name: 'glance/big', data: Buffer.alloc(3 * MiB) }]));
    server = await serve({
      '/glance.tgz': { size: 0, declare: true, body: chartTgz },
      '/declared.tgz': { size: 8 * MiB, declare: true },
      '/streamed.tgz': { size: 8 * MiB, declare: false },
      '/bomb.tgz': { size: 0, declare: true, body: bomb },
    });
  });
  afterAll(async () => {
    await server?.stop();
  });

  const source = (location: string, extra: Partial<PlannedChart['source']> = {}) =>
    ({
      document: 'glance',
      chartName: 'glance',
      release: 'osh-glance',
      source: { type: 'tar', location, subpath: 'glance', ...extra },
      dependencies: [],
    }) as unknown as PlannedChart;

  const preparer = (insecureHosts: string[] = []) =>
    new ChartPreparer({
      workDir: path.join(dir, `work-${Math.random()}`),
      env: {},
      insecureHosts,
      maxTarBytes: MiB,
    });

  it('downloads a loopback tarball within the limit and checks its sha256', async () => {
    const sha256 = createHash('sha256').update(chartTgz).digest('hex');
    const chart = await preparer().prepare(source(`${server.url}/glance.tgz`, { sha256 }));
    expect(existsSync(path.join(chart, 'Chart.yaml'))).toBe(true);
    await expect(
      preparer().prepare(source(`${server.url}/glance.tgz`, { sha256: 'ab'.repeat(32) })),
    ).rejects.toThrow(`sha256 is ${sha256}, the manifest's source.sha256 says ${'ab'.repeat(32)}`);
  });

  it.each(['declared', 'streamed'])('refuses a %s oversized download, naming the limit', async (name) => {
    await expect(preparer().prepare(source(`${server.url}/${name}.tgz`))).rejects.toThrow(
      `chart source ${server.url}/${name}.tgz: larger than the 1 MiB limit for a tar source`,
    );
    await new Promise((r) => setTimeout(r, 50));
    expect(server.served.get(`/${name}.tgz`)!.closedEarly).toBe(true);
  });

  it('refuses a gzip bomb before tar writes a file', async () => {
    const work = path.join(dir, 'bomb-work');
    const p = new ChartPreparer({ workDir: work, env: {}, maxTarBytes: MiB });
    await expect(p.prepare(source(`${server.url}/bomb.tgz`))).rejects.toThrow(
      'decompresses to more than the 1 MiB limit for a tar source',
    );
    const local = path.join(dir, 'bomb.tgz');
    writeFileSync(local, bomb);
    await expect(p.prepare(source(local))).rejects.toThrow(/decompresses to more than the 1 MiB limit/);
  });

  it('refuses plain http to a host that is not loopback unless the profile lists it', async () => {
    mkdirSync(dir, { recursive: true });
    await expect(preparer().prepare(source('http://charts.example/glance.tgz'))).rejects.toThrow(
      "plain http is refused for charts.example (use https, or list the host in the profile's armada.insecure-hosts)",
    );
  });
});
