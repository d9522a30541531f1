import { readFileSync } from 'node:fs';
import path from 'node:path';
import fc from 'fast-check';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { parseAllDocuments } from 'yaml';
import { UserError } from '../../actions/lib/errors.js';
import { pushImmutable } from '../../actions/lib/registry/artifact.js';
import { RegistryClient } from '../../actions/lib/registry/client.js';
import {
  type BillOfMaterials,
  checkBom,
  diffReleases,
  formatBomText,
  parseChartBlobUrl,
  parseReleaseRef,
  pullRelease,
  pushRelease,
  releaseDiffMarkdown,
  releaseDiffRows,
  releaseRepository,
  renderReleaseManifest,
  serializeBom,
} from '../../actions/lib/release/index.js';
import { repoRoot } from '../harness/run-action.js';
import { startRegistry, type TestRegistry } from '../support/registry.js';

const MANIFEST = path.join(repoRoot, 'examples/armada/openstack.yaml');
const DEPLOYED = [
  'ingress',
  'ceph-provisioners',
  'mariadb',
  'rabbitmq',
  'memcached',
  'keystone',
  'glance',
  'libvirt',
  'openvswitch',
  'nova',
  'neutron',
];

const hex = (seed: string) => seed.repeat(64).slice(0, 64);
const digestFor = (seed: string) => `sha256:${hex(seed)}`;

function bomFor(release: string, seed = 'a', registry = 'registry.example:5000/taco'): BillOfMaterials {
  return {
    schema: 1,
    release,
    candidate: 'nightly-20261124',
    images: ['keystone', 'keystone-fernet', 'glance-api'].map((name, i) => ({
      name,
      ref: `${registry}/${name}:${release}`,
      digest: digestFor(`${seed}${i}`),
    })),
    charts: DEPLOYED.map((name, i) => ({
      name,
      version: release,
      ref: `${registry}/charts/${name}:${release}`,
      digest: digestFor(`${seed}c${i}`),
      contentDigest: digestFor(`${seed}d${i}`),
    })),
    commits: [{ repository: 'https://git.example/openstack-helm', commit: hex('1').slice(0, 40) }],
    manifest: { file: 'examples/armada/openstack.yaml', target: 'taco-openstack' },
  };
}

function chartDocs(rendered: string): Map<string, Record<string, unknown>> {
  const docs = parseAllDocuments(rendered).map((d) => d.toJS() as Record<string, unknown>);
  return new Map(
    docs
      .filter((d) => d.schema === 'armada/Chart/v1')
      .map((d) => [(d.metadata as { name: string }).name, d.data as Record<string, unknown>]),
  );
}

describe('renderReleaseManifest', () => {
  const text = readFileSync(MANIFEST, 'utf8');

  it('pins every deployed chart to its package by content digest and points images at the release', () => {
    const bom = bomFor('1.0.0');
    const rendered = renderReleaseManifest(text, MANIFEST, bom, { scheme: 'https' });
    const charts = chartDocs(rendered);
    expect([...charts.keys()].sort()).toEqual(
      [...DEPLOYED].sort().map((n) => [...charts.keys()].find((k) => k.includes(n))),
    );
    for (const [name, data] of charts) {
      const bomChart = bom.charts.find((c) => c.name === data.chart_name)!;
      expect(bomChart, name).toBeDefined();
      expect(data.source).toEqual({
        type: 'tar',
        location: `https://registry.example:5000/v2/taco/charts/${bomChart.name}/blobs/${bomChart.contentDigest}`,
        subpath: bomChart.name,
      });
      expect(data.dependencies).toEqual([]);
      expect(parseChartBlobUrl((data.source as { location: string }).location)).toEqual({
        host: 'registry.example:5000',
        repository: `taco/charts/${bomChart.name}`,
        digest: bomChart.contentDigest,
      });
    }
    const keystone = [...charts.values()].find((d) => d.chart_name === 'keystone')!;
    const tags = (keystone.values as { images: { tags: Record<string, string> } }).images.tags;
    expect(tags.keystone_api).toBe('registry.example:5000/taco/keystone:1.0.0');
    expect(tags.keystone_fernet_setup).toBe('registry.example:5000/taco/keystone-fernet:1.0.0');
    // Not released here: left as the manifest has it.
    expect(tags.bootstrap).toBe('${IMAGE_REGISTRY}/kolla-toolbox:2026.1');
  });

  it('drops dependency-only charts (vendored in the packages) and keeps the rest of the text', () => {
    const rendered = renderReleaseManifest(text, MANIFEST, bomFor('1.0.0'), { scheme: 'http' });
    expect(rendered).not.toMatch(/chart_name: helm-toolkit/);
    expect(rendered).toContain('${KEYSTONE_ADMIN_PASSWORD}');
    const comments = text.split('\n').filter((l) => /^\s*#/.test(l) && !/helm-toolkit/i.test(l));
    for (const comment of comments.slice(0, 5)) expect(rendered).toContain(comment.trim());
  });

  it('re-renders a rendered manifest for the next release (promotion of a candidate release)', () => {
    const candidate = renderReleaseManifest(text, MANIFEST, bomFor('c.1', 'b'), { scheme: 'http' });
    const release = renderReleaseManifest(candidate, 'candidate.yaml', bomFor('2.0.0', 'c'), {
      scheme: 'http',
    });
    expect(release).toBe(renderReleaseManifest(text, MANIFEST, bomFor('2.0.0', 'c'), { scheme: 'http' }));
  });

  it('refuses a deployed chart that is not in the release, naming file, line and chart', () => {
    const bom = bomFor('1.0.0');
    bom.charts = bom.charts.filter((c) => c.name !== 'glance');
    let error: unknown;
    try {
      renderReleaseManifest(text, MANIFEST, bom, { scheme: 'http' });
    } catch (err) {
      error = err;
    }
    expect(error).toBeInstanceOf(UserError);
    const line = text.split('\n').findIndex((l) => l.includes('chart_name: glance')) + 1;
    expect((error as Error).message).toContain(`${MANIFEST}:${line}`);
    expect((error as Error).message).toMatch(
      /chart "glance" is deployed but is not among the release's charts/,
    );
  });

  it('refuses a manifest that is not valid Armada before rendering', () => {
    expect(() =>
      renderReleaseManifest(
        'schema: armada/Chart/v1\nmetadata: {name: x}\ndata: {}\n',
        'bad.yaml',
        bomFor('1.0.0'),
        {
          scheme: 'http',
        },
      ),
    ).toThrow(/bad\.yaml:\d+:\d+/);
  });
});

describe('bill of materials', () => {
  it('has one canonical serialization whatever the order of its lists', () => {
    const bom = bomFor('1.0.0');
    fc.assert(
      fc.property(
        fc.shuffledSubarray(bom.images, { minLength: 3 }),
        fc.shuffledSubarray(bom.charts, { minLength: bom.charts.length }),
        (images, charts) => {
          expect(serializeBom({ ...bom, images, charts }).equals(serializeBom(bom))).toBe(true);
        },
      ),
      { numRuns: 50 },
    );
  });

  it('names the key and what was expected when a BOM is malformed', () => {
    const bad = { ...bomFor('1.0.0'), images: [{ name: 'keystone', ref: 'r', digest: 'latest' }] };
    expect(() => checkBom(bad, 'release.json')).toThrow(
      /release\.json: not a TACO bill of materials[\s\S]*images\.0\.digest: expected a digest like sha256:<64 hex>, got "latest"/,
    );
    expect(() => checkBom({ ...bomFor('1.0.0'), extra: 1 }, 'x')).toThrow(/unknown key "extra"/);
  });
});

describe('diffReleases', () => {
  it('lists images and charts that changed, were added or removed, and moved commits', () => {
    const a = bomFor('1.0.0', 'a');
    const b = bomFor('2.0.0', 'a');
    b.images[0].digest = digestFor('e');
    b.images = b.images.filter((i) => i.name !== 'glance-api');
    b.images.push({
      name: 'nova-api',
      ref: 'registry.example:5000/taco/nova-api:2.0.0',
      digest: digestFor('f'),
    });
    b.charts[5] = { ...b.charts[5], digest: digestFor('9'), contentDigest: digestFor('8') };
    b.commits = [{ repository: 'https://git.example/openstack-helm', commit: hex('2').slice(0, 40) }];
    const diff = diffReleases(a, b);
    expect(diff.artifacts.map((c) => `${c.kind} ${c.name} ${c.change}`)).toEqual([
      'image glance-api removed',
      'image keystone changed',
      'image nova-api added',
      'chart keystone changed',
    ]);
    expect(diff.artifacts[1].before?.version).toBe('1.0.0');
    expect(diff.artifacts[1].after).toEqual({ version: '2.0.0', digest: digestFor('e'), commit: undefined });
    expect(diff.commits).toEqual([
      {
        repository: 'https://git.example/openstack-helm',
        change: 'changed',
        before: hex('1').slice(0, 40),
        after: hex('2').slice(0, 40),
      },
    ]);
    expect(diff.unchanged).toBe(1 + DEPLOYED.length - 1);
    const markdown = releaseDiffMarkdown(diff);
    expect(markdown).toContain(
      '| image | keystone | changed | `1.0.0 a0a0a0a0a0a0` | `2.0.0 eeeeeeeeeeee` |',
    );
    expect(releaseDiffMarkdown(diffReleases(a, a))).toMatch(/Nothing changed/);
  });

  it("shows each re-versioned chart's source version, recorded or (older BOMs) read from its source tag", () => {
    const registry = 'registry.example:5000/taco';
    const a = bomFor('1.0.0', 'a');
    const b = bomFor('2.0.0', 'b');
    // Written before sourceVersion was recorded: only the source reference names the candidate.
    a.charts[5].source = `${registry}/charts/keystone:0.1.0-nightly_1@${digestFor('5')}`;
    b.charts[5] = { ...b.charts[5], sourceVersion: '0.2.0', source: `${registry}/charts/keystone:0.2.0` };
    // A candidate release keeps the candidate version: nothing to show.
    b.charts[4] = { ...b.charts[4], sourceVersion: '2.0.0' };
    const keystoneOf = (bom: BillOfMaterials) =>
      checkBom(JSON.parse(serializeBom(bom).toString()), bom.release).charts.find(
        (c) => c.name === 'keystone',
      );
    expect(keystoneOf(b)?.sourceVersion).toBe('0.2.0');
    expect(keystoneOf(a)).not.toHaveProperty('sourceVersion');

    const keystone = diffReleases(a, b).artifacts.find((c) => c.kind === 'chart' && c.name === 'keystone')!;
    expect(keystone.before).toMatchObject({ version: '1.0.0', sourceVersion: '0.1.0-nightly+1' });
    expect(keystone.after).toMatchObject({ version: '2.0.0', sourceVersion: '0.2.0' });
    const rows = releaseDiffRows(diffReleases(a, b));
    expect(rows.find((r) => r[0] === 'chart' && r[1] === 'keystone')).toEqual([
      'chart',
      'keystone',
      'changed',
      `1.0.0 (from 0.1.0-nightly+1) ${'ac5'.repeat(4)}`,
      `2.0.0 (from 0.2.0) ${'bc5'.repeat(4)}`,
    ]);
    expect(rows.find((r) => r[0] === 'chart' && r[1] === DEPLOYED[4])?.[4]).toBe(`2.0.0 ${'bc4'.repeat(4)}`);
  });
});

describe('release artifacts in a real registry', () => {
  let registry: TestRegistry;
  let client: RegistryClient;
  beforeAll(async () => {
    registry = await startRegistry();
    client = new RegistryClient({ host: registry.host, retry: { retries: 1, baseDelayMs: 10 } });
  });
  afterAll(async () => {
    client?.close();
    await registry?.stop();
  });

  it('pushes a release, pulls it back verified, and treats its tag as immutable', async () => {
    const location = { host: registry.host, namespace: 'taco' };
    const bom = bomFor('1.0.0', 'a', `${registry.host}/taco`);
    const manifestYaml = renderReleaseManifest(readFileSync(MANIFEST, 'utf8'), MANIFEST, bom, {
      scheme: 'http',
    });
    const pushed = await pushRelease(client, location, { bom, manifestYaml });
    expect(pushed).toMatchObject({ ref: `${registry.host}/taco/taco-release:1.0.0`, status: 'pushed' });

    const ref = parseReleaseRef(pushed.ref, 'release');
    const pulled = await pullRelease(client, ref.repository, ref.reference);
    expect(pulled.digest).toBe(pushed.digest);
    expect(pulled.manifestYaml).toBe(manifestYaml);
    expect(serializeBom(pulled.bom).equals(serializeBom(bom))).toBe(true);
    const byDigest = await pullRelease(client, releaseRepository(location), pushed.digest);
    expect(byDigest.bom.release).toBe('1.0.0');
    expect(formatBomText({ ref: pushed.ref, digest: pushed.digest, bom: pulled.bom })).toMatch(
      /^Release 1\.0\.0 \(candidate nightly-20261124\)[\s\S]*chart\s+keystone\s+1\.0\.0\s+sha256:/m,
    );

    // A candidate release pins its images as tag@digest: the version column is still the tag.
    const candidate = {
      ...bom,
      images: [{ ...bom.images[0], ref: `${bom.images[0].ref}@${bom.images[0].digest}` }],
    };
    expect(formatBomText({ ref: pushed.ref, digest: pushed.digest, bom: candidate })).toMatch(
      /^image\s+keystone\s+1\.0\.0\s+sha256:a0a0/m,
    );

    expect((await pushRelease(client, location, { bom, manifestYaml })).status).toBe('unchanged');
    const other = { ...bom, candidate: 'nightly-20261125' };
    await expect(pushRelease(client, location, { bom: other, manifestYaml })).rejects.toMatchObject({
      details: { code: 'TAG_TAKEN' },
    });
    expect((await pullRelease(client, ref.repository, '1.0.0')).digest).toBe(pushed.digest);
  });

  it('refuses an artifact that is not a release, and a BOM that names another release', async () => {
    await pushImmutable(client, 'taco/taco-release', 'not-a-release', {
      config: { mediaType: 'application/vnd.cncf.helm.config.v1+json', bytes: Buffer.from('{}') },
      layers: [],
    });
    await expect(pullRelease(client, 'taco/taco-release', 'not-a-release')).rejects.toThrow(
      /is not a TACO release: its config media type is "application\/vnd\.cncf\.helm\.config\.v1\+json"/,
    );
    const bom = bomFor('3.0.0', 'd', `${registry.host}/taco`);
    const { releaseArtifact } = await import('../../actions/lib/release/artifact.js');
    await pushImmutable(
      client,
      'taco/taco-release',
      '4.0.0',
      releaseArtifact({ bom, manifestYaml: '---\n' }),
    );
    await expect(pullRelease(client, 'taco/taco-release', '4.0.0')).rejects.toThrow(
      /names release 3\.0\.0, not 4\.0\.0/,
    );
  });
});
