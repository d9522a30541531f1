/**
 * A release is a bill of materials: promote-version with charts and the Armada manifest against a
 * real docker-registry on 127.0.0.1. Candidate images are pushed by skopeo once and copied into a
 * namespace per test (each test has its own charts/ and taco-release repositories); candidate
 * charts are packaged from fixtures and pushed as helm-rally publishes them.
 */
import { createHash } from 'node:crypto';
import { mkdtempSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { parseAllDocuments } from 'yaml';
import { pullChart, readChartPackage } from '../../actions/lib/charts/index.js';
import { readHistory } from '../../actions/lib/history/index.js';
import {
  type BillOfMaterials,
  pullRelease,
  pushRelease,
  shortDigest,
} from '../../actions/lib/release/index.js';
import { startFaultyProxy, status } from '../support/faulty-proxy.js';
import { startRegistry, type TestRegistry } from '../support/registry.js';
import { client, copyCandidates, MANIFEST, pushCandidateCharts } from './support/release-world.js';
import {
  type Candidates,
  promoteRun,
  pushCandidates,
  servedDigest,
  tagsOf,
  writeProfile,
} from './support/world.js';

let registry: TestRegistry;
let candidates: Candidates;
let dir: string;
const images = 'candidates/a\ncandidates/b';

beforeAll(async () => {
  registry = await startRegistry();
  dir = mkdtempSync(path.join(os.tmpdir(), 'promote-release-'));
  candidates = await pushCandidates(registry.host, 'taco', ['nightly-1', 'nightly-2'], {
    images: ['a', 'b'],
  });
});
afterAll(async () => {
  await registry?.stop();
});

/** A namespace with candidates nightly-1 and nightly-2 (images and charts; glance differs between them). */
async function namespace(ns: string) {
  await copyCandidates(registry.host, ns, ['a', 'b'], ['nightly-1', 'nightly-2']);
  const charts1 = await pushCandidateCharts(registry.host, ns, 'nightly-1', 1);
  const charts2 = await pushCandidateCharts(registry.host, ns, 'nightly-2', 3);
  return { charts1, charts2 };
}

async function pulled(ns: string, tag: string) {
  const c = client(registry.host);
  try {
    return await pullRelease(c, `${ns}/taco-release`, tag);
  } finally {
    c.close();
  }
}

async function blobDigest(repository: string, digest: string): Promise<string> {
  const res = await fetch(`${registry.url}/v2/${repository}/blobs/${digest}`);
  expect(res.status).toBe(200);
  return `sha256:${createHash('sha256')
    .update(Buffer.from(await res.arrayBuffer()))
    .digest('hex')}`;
}

/** Every digest the BOM names resolves in the registry to exactly that content. */
async function expectBomMatchesRegistry(bom: BillOfMaterials) {
  for (const image of bom.images) {
    const ref = image.ref.slice(registry.host.length + 1);
    const [repository, tag] = ref.split(':');
    expect(await servedDigest(registry.host, repository, tag)).toBe(image.digest);
  }
  for (const chart of bom.charts) {
    const [repository, tag] = chart.ref.slice(registry.host.length + 1).split(':');
    expect(await servedDigest(registry.host, repository, tag)).toBe(chart.digest);
    expect(await blobDigest(repository, chart.contentDigest)).toBe(chart.contentDigest);
    const c = client(registry.host);
    try {
      const { pkg, contentDigest } = await pullChart(c, repository, tag, { expectedDigest: chart.digest });
      expect(pkg.version).toBe(chart.version);
      expect(contentDigest).toBe(chart.contentDigest);
    } finally {
      c.close();
    }
  }
}

/** The parts of an armada/Chart/v1 document these tests read. */
interface ChartData {
  source: { type: string; location: string; subpath: string };
  dependencies: string[];
  values: { images: { tags: Record<string, string> } };
}

const chartDocs = (yaml: string) =>
  parseAllDocuments(yaml)
    .map((d) => d.toJS() as { schema: string; metadata: { name: string }; data: ChartData })
    .filter((d) => d.schema === 'armada/Chart/v1');

describe('promotion of images, charts and the Armada manifest', () => {
  it('releases 1.0.0 then 2.0.0 as bills of materials; a re-run is a no-op; the diff is in the summary', async () => {
    const ns = 'bom1';
    const { charts1 } = await namespace(ns);
    const history = path.join(dir, 'bom1.jsonl');
    const base = {
      registry: `${registry.host}/${ns}`,
      images,
      charts: 'keystone, glance',
      manifest: MANIFEST,
      'target-prefix': 'release',
      history,
    };
    const first = await promoteRun({ ...base, candidate: 'nightly-1' });
    expect(first.error).toBeUndefined();
    expect(first.outputs.version).toBe('1.0.0');
    const release = JSON.parse(first.outputs.release);
    expect(release.ref).toBe(`${registry.host}/${ns}/taco-release:1.0.0`);
    expect(await servedDigest(registry.host, `${ns}/taco-release`, '1.0.0')).toBe(release.digest);

    const r1 = await pulled(ns, '1.0.0');
    expect(r1.digest).toBe(release.digest);
    expect(r1.bom).toMatchObject({
      release: '1.0.0',
      candidate: 'nightly-1',
      manifest: { file: 'armada.yaml' },
    });
    expect(r1.bom.images.map((i) => [i.name, i.ref, i.digest])).toEqual([
      ['candidates/a', `${registry.host}/${ns}/release/a:1.0.0`, candidates.digests['a:nightly-1']],
      ['candidates/b', `${registry.host}/${ns}/release/b:1.0.0`, candidates.digests['b:nightly-1']],
    ]);
    // Each chart re-versioned to the release, with the candidate version it came from recorded.
    expect(r1.bom.charts.map((c) => [c.name, c.version, c.sourceVersion, c.ref])).toEqual([
      ['glance', '1.0.0', '2025.1.7-nightly-1', `${registry.host}/${ns}/charts/glance:1.0.0`],
      ['keystone', '1.0.0', '2025.1.3-nightly-1', `${registry.host}/${ns}/charts/keystone:1.0.0`],
    ]);
    expect(r1.bom.charts.find((c) => c.name === 'keystone')!.source).toBe(
      `${charts1.keystone.ref}@${charts1.keystone.digest}`,
    );
    await expectBomMatchesRegistry(r1.bom);

    // The rendered manifest: charts pinned by content digest, images at the release, the rest as it was.
    const docs = chartDocs(r1.manifestYaml);
    expect(docs.map((d) => d.metadata.name)).toEqual(['keystone', 'glance']); // helm-toolkit is vendored
    const keystone = docs[0].data;
    const keystoneChart = r1.bom.charts.find((c) => c.name === 'keystone')!;
    expect(keystone.source).toEqual({
      type: 'tar',
      location: `http://${registry.host}/v2/${ns}/charts/keystone/blobs/${keystoneChart.contentDigest}`,
      subpath: 'keystone',
    });
    expect(keystone.dependencies).toEqual([]);
    expect(keystone.values.images.tags).toEqual({
      keystone_api: `${registry.host}/${ns}/release/a:1.0.0`,
      keystone_db_sync: `${registry.host}/${ns}/release/a:1.0.0`,
      dep_check: 'quay.io/airshipit/kubernetes-entrypoint:latest-ubuntu_jammy',
    });
    expect(docs[1].data.values.images.tags.glance_api).toBe(`${registry.host}/${ns}/release/b:1.0.0`);
    expect(first.summary).toContain('No earlier release artifact to compare with.');

    // Re-run: nothing changes, nothing is recorded again.
    const again = await promoteRun({ ...base, candidate: 'nightly-1' });
    expect(again.error).toBeUndefined();
    expect(again.outputs.version).toBe('1.0.0');
    expect(JSON.parse(again.outputs.promoted)).toEqual([]);
    expect(JSON.parse(again.outputs.release)).toEqual(release);
    expect(again.log).toContain('already holds exactly these candidates');
    expect(again.summary).toContain('⏭️ already released');

    const second = await promoteRun({ ...base, candidate: 'nightly-2' });
    expect(second.error).toBeUndefined();
    expect(second.outputs.version).toBe('2.0.0');
    const r2 = await pulled(ns, '2.0.0');
    await expectBomMatchesRegistry(r2.bom);
    const chart = (bom: BillOfMaterials, name: string) => bom.charts.find((c) => c.name === name)!;
    // each release has its own packages (the version is in Chart.yaml), from that candidate's charts
    expect(chart(r2.bom, 'keystone').contentDigest).not.toBe(chart(r1.bom, 'keystone').contentDigest);
    expect(chart(r2.bom, 'glance').source).toContain('glance:2025.1.7-nightly-2@');
    expect(second.summary).toContain('Changes from 1.0.0 to 2.0.0');
    expect(second.summary).toContain(
      '| chart | glance | changed | `1.0.0 (from 2025.1.7-nightly-1) ' +
        `${shortDigest(chart(r1.bom, 'glance').digest)}\` | \`2.0.0 (from 2025.1.7-nightly-2) `,
    );
    expect(await tagsOf(registry.host, `${ns}/taco-release`)).toEqual(['1.0.0', '2.0.0']);
    expect((await tagsOf(registry.host, `${ns}/charts/glance`)).sort()).toEqual(
      ['1.0.0', '2.0.0', '2025.1.7-nightly-1', '2025.1.7-nightly-2'].sort(),
    );

    const ledger = await readHistory({ kind: 'file', path: history });
    expect(ledger.map((e) => [e.version, e.status, e.release?.digest])).toEqual([
      ['1.0.0', 'complete', release.digest],
      ['2.0.0', 'complete', r2.digest],
    ]);
    expect(ledger[0].charts?.map((c) => [c.name, c.ref, c.digest]).sort()).toEqual(
      r1.bom.charts.map((c) => [c.name, c.ref, c.digest]),
    );
  });

  it('a chart tag N.0.0 is the packaged Chart.yaml version and only Chart.yaml differs from the candidate', async () => {
    const ns = 'bom2';
    const { charts1 } = await namespace(ns);
    const run = await promoteRun({
      registry: `${registry.host}/${ns}`,
      images,
      charts: JSON.stringify([charts1.keystone, charts1.glance]), // helm-rally's chart outputs
      candidate: 'nightly-1',
      manifest: MANIFEST,
      'target-prefix': 'release',
    });
    expect(run.error).toBeUndefined();
    const c = client(registry.host);
    try {
      for (const name of ['keystone', 'glance']) {
        const candidate = await pullChart(c, `${ns}/charts/${name}`, charts1[name].digest);
        const released = await pullChart(c, `${ns}/charts/${name}`, '1.0.0');
        expect(released.pkg.version).toBe('1.0.0');
        expect(released.pkg.metadata.version).toBe('1.0.0');
        const before = (await readChartPackage(candidate.pkg.bytes, 'candidate')).files;
        const after = (await readChartPackage(released.pkg.bytes, 'release')).files;
        expect([...after.keys()]).toEqual([...before.keys()]);
        const differing = [...after.keys()].filter((f) => !after.get(f)!.equals(before.get(f)!));
        expect(differing).toEqual(['Chart.yaml']);
        const lines = (b: Buffer) => b.toString('utf8').split('\n');
        const changed = lines(after.get('Chart.yaml')!).filter(
          (line, i) => line !== lines(before.get('Chart.yaml')!)[i],
        );
        expect(changed).toEqual([expect.stringMatching(/^version: 1\.0\.0/)]);
      }
    } finally {
      c.close();
    }
  });

  it('refuses a chart tag or a release tag that holds other content, before changing anything', async () => {
    const ns = 'bom3';
    const { charts2 } = await namespace(ns);
    const base = {
      registry: `${registry.host}/${ns}`,
      images,
      charts: 'keystone\nglance',
      manifest: MANIFEST,
      'target-prefix': 'release',
      candidate: 'nightly-1',
      version: '1.0.0',
    };
    // glance:1.0.0 taken by another package (nightly-2's glance, re-versioned the way a person might push it)
    const c = client(registry.host);
    const { pkg } = await pullChart(c, `${ns}/charts/glance`, charts2.glance.digest);
    const { reversionChart, pushChart } = await import('../../actions/lib/charts/index.js');
    await pushChart(c, { host: registry.host, namespace: ns }, await reversionChart(pkg, '1.0.0'));
    const clash = await promoteRun(base);
    expect(clash.error?.name).toBe('JobFailure');
    expect(clash.error?.message).toMatch(
      /Nothing was promoted: release tags are immutable and 1\.0\.0 is taken/,
    );
    expect(clash.error?.message).toContain(`chart ${registry.host}/${ns}/charts/glance:1.0.0 already exists`);
    expect(await tagsOf(registry.host, `${ns}/release/a`)).toEqual([]);
    expect(await tagsOf(registry.host, `${ns}/charts/keystone`)).toEqual([
      '2025.1.3-nightly-1',
      '2025.1.3-nightly-2',
    ]);
    expect(await tagsOf(registry.host, `${ns}/taco-release`)).toEqual([]);

    // taco-release:2.0.0 taken by another bill of materials
    const bom: BillOfMaterials = {
      schema: 1,
      release: '2.0.0',
      candidate: 'someone-else',
      images: [],
      charts: [],
      commits: [],
      manifest: { file: 'other.yaml' },
    };
    await pushRelease(c, { host: registry.host, namespace: ns }, { bom, manifestYaml: '---\n' });
    c.close();
    const clash2 = await promoteRun({ ...base, version: '2.0.0' });
    expect(clash2.error?.name).toBe('JobFailure');
    expect(clash2.error?.message).toContain(
      `release ${registry.host}/${ns}/taco-release:2.0.0 already exists`,
    );
    expect(clash2.error?.message).toContain('image candidates/a is not in it');
    expect(await tagsOf(registry.host, `${ns}/release/a`)).toEqual([]);
    expect(await tagsOf(registry.host, `${ns}/charts/keystone`)).toEqual([
      '2025.1.3-nightly-1',
      '2025.1.3-nightly-2',
    ]);

    // next-major looks at the release repository too: 2.0.0 exists there, so the first release is 3.0.0
    const next = await promoteRun({ ...base, version: '' });
    expect(next.error).toBeUndefined();
    expect(next.outputs.version).toBe('3.0.0');
  });

  it('a failure writing the release artifact leaves a partial promotion that a re-run completes', async () => {
    const ns = 'bom4';
    await namespace(ns);
    const proxy = await startFaultyProxy(registry.url, [
      {
        method: 'PUT',
        path: new RegExp(`^/v2/${ns}/taco-release/manifests/1\\.0\\.0$`),
        action: status(500),
      },
    ]);
    try {
      const history = path.join(dir, 'bom4.jsonl');
      const profile = writeProfile(mkdtempSync(path.join(dir, 'p-')), `${proxy.host}/${ns}`, { retries: 0 });
      const inputs = {
        profile,
        images,
        charts: 'keystone,glance',
        manifest: MANIFEST,
        'target-prefix': 'release',
        candidate: 'nightly-1',
        history,
      };
      const broken = await promoteRun(inputs);
      expect(broken.error?.name).toBe('JobFailure');
      expect(broken.error?.message).toContain('Promotion of nightly-1 to 1.0.0 is incomplete.');
      expect(broken.error?.message).toMatch(
        new RegExp(`NOT promoted \\(1\\):\\n  - ${proxy.host}/${ns}/taco-release:1\\.0\\.0: .*HTTP 500`),
      );
      expect(broken.outputs.release).toBe('');
      expect(await tagsOf(registry.host, `${ns}/release/a`)).toEqual(['1.0.0']);
      expect(await tagsOf(registry.host, `${ns}/charts/glance`)).toContain('1.0.0');
      expect(await tagsOf(registry.host, `${ns}/taco-release`)).toEqual([]);

      proxy.setRules([]);
      const fixed = await promoteRun(inputs);
      expect(fixed.error).toBeUndefined();
      expect(fixed.outputs.version).toBe('1.0.0');
      expect(fixed.log).toContain('completing that promotion (1 part(s) left)');
      expect(JSON.parse(fixed.outputs.release).ref).toBe(`${proxy.host}/${ns}/taco-release:1.0.0`);
      const ledger = await readHistory({ kind: 'file', path: history });
      expect(ledger.map((e) => [e.version, e.status, !!e.release])).toEqual([
        ['1.0.0', 'partial', false],
        ['1.0.0', 'complete', true],
      ]);
    } finally {
      await proxy.stop();
    }
  });

  it('dry-run plans images, charts and the release artifact and writes nothing', async () => {
    const ns = 'bom5';
    await namespace(ns);
    const run = await promoteRun({
      registry: `${registry.host}/${ns}`,
      images,
      charts: 'keystone,glance',
      manifest: MANIFEST,
      'target-prefix': 'release',
      candidate: 'nightly-1',
      'dry-run': 'true',
    });
    expect(run.error).toBeUndefined();
    expect(JSON.parse(run.outputs.release).ref).toBe(`${registry.host}/${ns}/taco-release:1.0.0`);
    expect(run.summary).toContain('📝 would promote');
    expect(await tagsOf(registry.host, `${ns}/taco-release`)).toEqual([]);
    expect(await tagsOf(registry.host, `${ns}/release/a`)).toEqual([]);
    expect(await tagsOf(registry.host, `${ns}/charts/keystone`)).toEqual([
      '2025.1.3-nightly-1',
      '2025.1.3-nightly-2',
    ]);
  });
});

describe('mode candidate-release, then promotion from the release input', () => {
  it('writes taco-release:<candidate> of what the nightly deploys; promotion releases exactly that', async () => {
    const ns = 'bom6';
    const { charts1 } = await namespace(ns);
    const inputs = {
      registry: `${registry.host}/${ns}`,
      images,
      charts: 'keystone,glance',
      manifest: MANIFEST,
      candidate: 'nightly-1',
      mode: 'candidate-release',
    };
    const written = await promoteRun(inputs);
    expect(written.error).toBeUndefined();
    expect(written.outputs.version).toBe('');
    const ref = `${registry.host}/${ns}/taco-release:nightly-1`;
    expect(JSON.parse(written.outputs.release).ref).toBe(ref);
    const candidate = await pulled(ns, 'nightly-1');
    expect(candidate.bom.images.map((i) => i.ref)).toEqual([
      `${registry.host}/${ns}/candidates/a:nightly-1@${candidates.digests['a:nightly-1']}`,
      `${registry.host}/${ns}/candidates/b:nightly-1@${candidates.digests['b:nightly-1']}`,
    ]);
    expect(candidate.bom.charts.map((c) => [c.name, c.version, c.digest])).toEqual([
      ['glance', '2025.1.7-nightly-1', charts1.glance.digest],
      ['keystone', '2025.1.3-nightly-1', charts1.keystone.digest],
    ]);
    expect(chartDocs(candidate.manifestYaml)[0].data.values.images.tags.keystone_api).toBe(
      candidate.bom.images[0].ref,
    );
    expect(written.summary).toContain(`Candidate release nightly-1`);
    // writing it again is a no-op
    const again = await promoteRun(inputs);
    expect(again.error).toBeUndefined();
    expect(JSON.parse(again.outputs.release).digest).toBe(candidate.digest);
    expect(again.log).toContain('already holds this candidate release');

    // release excludes images/charts/manifest
    const both = await promoteRun({ registry: `${registry.host}/${ns}`, release: ref, images });
    expect(both.error?.name).toBe('UserError');
    expect(both.error?.message).toContain("cannot be combined with 'images'");

    // A bare tag names a release of the promotion registry (as the promote workflow passes the candidate).
    const promoted = await promoteRun({
      registry: `${registry.host}/${ns}`,
      release: 'nightly-1',
      'target-prefix': 'release',
    });
    expect(promoted.error).toBeUndefined();
    expect(promoted.outputs.version).toBe('1.0.0');
    expect(promoted.summary).toContain(`From the candidate release \`${ref}\``);
    const r1 = await pulled(ns, '1.0.0');
    expect(r1.bom.candidate).toBe('nightly-1');
    expect(r1.bom.images.map((i) => [i.ref, i.digest])).toEqual([
      [`${registry.host}/${ns}/release/a:1.0.0`, candidates.digests['a:nightly-1']],
      [`${registry.host}/${ns}/release/b:1.0.0`, candidates.digests['b:nightly-1']],
    ]);
    // the charts released are the candidate release's charts, re-versioned
    expect(r1.bom.charts.map((c) => c.source)).toEqual(
      candidate.bom.charts.map((c) => `${registry.host}/${ns}/charts/${c.name}:${c.version}@${c.digest}`),
    );
    await expectBomMatchesRegistry(r1.bom);
    const keystone = chartDocs(r1.manifestYaml)[0].data;
    expect(keystone.values.images.tags.keystone_api).toBe(`${registry.host}/${ns}/release/a:1.0.0`);
    expect(keystone.source.location).toContain(
      r1.bom.charts.find((c) => c.name === 'keystone')!.contentDigest,
    );
  });
});
