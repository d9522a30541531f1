import { readFileSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  chartArtifact,
  chartConfigJson,
  chartRepository,
  chartTag,
  HelmMediaTypes,
  packageChart,
  parseChartYaml,
  pullChart,
  pushChart,
  readChartPackage,
  reversionChart,
  type ChartMetadata,
  type ChartPackage,
} from '../../actions/lib/charts/index.js';
import {
  buildArtifactManifest,
  pushImmutable,
  RegistryClient,
  RegistryError,
  type RegistryLocation,
} from '../../actions/lib/registry/index.js';
import { repoRoot } from '../harness/run-action.js';
import { startRegistry, type TestRegistry } from '../support/registry.js';

const FIXTURES = path.join(repoRoot, 'test/fixtures/charts');

describe("Helm's OCI format", () => {
  it('config blob: chart.Metadata as Go marshals it (struct field order, omitempty, compact)', async () => {
    const pkg = await packageChart(path.join(FIXTURES, 'keystone'));
    expect(chartConfigJson(pkg.metadata).toString()).toBe(
      '{"name":"keystone","home":"https://docs.openstack.org/keystone/latest/",' +
        '"sources":["https://opendev.org/openstack/keystone","https://opendev.org/openstack/openstack-helm"],' +
        '"version":"2025.1.3","description":"OpenStack-Helm Keystone","maintainers":[{"name":"OpenStack-Helm Authors"}],' +
        '"icon":"https://www.openstack.org/themes/openstack/images/project-mascots/Keystone/OpenStack_Project_Keystone_mascot.png",' +
        '"apiVersion":"v2","appVersion":"v1.0.0",' +
        '"dependencies":[{"name":"helm-toolkit","version":"\\u003e= 0.1.0","repository":"file://../helm-toolkit"}]}',
    );
  });

  it('config blob: every Metadata field, maps sorted, Helm-sanitised strings, Go HTML escapes, unknown keys dropped', () => {
    const metadata = {
      apiVersion: 'v2',
      name: 'all',
      version: '1.2.3+build.1',
      kubeVersion: '>=1.29.0-0',
      description: 'Line one\nline two & <three>\u0007\n',
      type: 'application',
      keywords: ['openstack', 'identity'],
      home: 'https://example.org',
      sources: ['https://git.example/all'],
      maintainers: [{ name: 'Ops', email: 'ops@example.org', url: 'https://ops.example' }, { name: 'Dev' }],
      icon: 'https://example.org/icon.png',
      appVersion: 2024.1,
      deprecated: true,
      annotations: { 'zeta.example/x': '1', 'alpha.example/y': '2' },
      condition: 'all.enabled',
      tags: 'core',
      dependencies: [
        {
          name: 'helm-toolkit',
          repository: 'file://../helm-toolkit',
          'import-values': [{ child: 'a', parent: 'b' }],
        },
        {
          name: 'db',
          version: '~1.0',
          repository: '',
          alias: 'database',
          tags: ['storage'],
          enabled: true,
          condition: 'db.on',
        },
      ],
      notAHelmField: 'dropped',
    } as ChartMetadata;
    expect(JSON.parse(chartConfigJson(metadata).toString())).toEqual({
      name: 'all',
      home: 'https://example.org',
      sources: ['https://git.example/all'],
      version: '1.2.3+build.1',
      description: 'Line one line two & <three> ',
      keywords: ['openstack', 'identity'],
      maintainers: [{ name: 'Ops', email: 'ops@example.org', url: 'https://ops.example' }, { name: 'Dev' }],
      icon: 'https://example.org/icon.png',
      apiVersion: 'v2',
      condition: 'all.enabled',
      tags: 'core',
      appVersion: '2024.1',
      deprecated: true,
      annotations: { 'alpha.example/y': '2', 'zeta.example/x': '1' },
      kubeVersion: '>=1.29.0-0',
      dependencies: [
        {
          name: 'helm-toolkit',
          repository: 'file://../helm-toolkit',
          'import-values': [{ child: 'a', parent: 'b' }],
        },
        {
          name: 'db',
          version: '~1.0',
          repository: '',
          condition: 'db.on',
          tags: ['storage'],
          enabled: true,
          alias: 'database',
        },
      ],
      type: 'application',
    });
    const text = chartConfigJson(metadata).toString();
    expect(Object.keys(JSON.parse(text) as object)[13]).toBe('annotations');
    expect(text).toContain('"description":"Line one line two \\u0026 \\u003cthree\\u003e "');
  });

  it('reads Chart.yaml scalars as Helm (YAML 1.1): yes is a boolean, numbers become strings', () => {
    const metadata = parseChartYaml(
      Buffer.from('apiVersion: v2\nname: old\nversion: 1.0.0\ndeprecated: yes\nappVersion: 1.10\n'),
      'Chart.yaml',
    );
    expect(chartConfigJson(metadata).toString()).toBe(
      '{"name":"old","version":"1.0.0","apiVersion":"v2","appVersion":"1.1","deprecated":true}',
    );
  });

  it('tag = version with + written _, repository <namespace>/charts/<name>', () => {
    expect(chartTag('1.0.0+build.7')).toBe('1.0.0_build.7');
    expect(chartTag('0.3.1-c.20261124.7')).toBe('0.3.1-c.20261124.7');
    expect(chartRepository({ host: 'r.example:5000', namespace: 'taco' }, 'keystone')).toBe(
      'taco/charts/keystone',
    );
    expect(chartRepository({ host: 'r.example:5000', namespace: '' }, 'keystone')).toBe('charts/keystone');
  });

  it("manifest: OCI image manifest, Helm's config and content media types, Helm's annotations", async () => {
    const pkg = await packageChart(path.join(FIXTURES, 'keystone'));
    const manifest = JSON.parse(buildArtifactManifest(chartArtifact(pkg)).bytes.toString()) as Record<
      string,
      unknown
    >;
    expect(manifest).toMatchObject({
      schemaVersion: 2,
      mediaType: 'application/vnd.oci.image.manifest.v1+json',
      config: { mediaType: 'application/vnd.cncf.helm.config.v1+json' },
      layers: [
        {
          mediaType: 'application/vnd.cncf.helm.chart.content.v1.tar+gzip',
          digest: pkg.digest,
          size: pkg.bytes.length,
        },
      ],
      annotations: {
        'org.opencontainers.image.title': 'keystone',
        'org.opencontainers.image.version': '2025.1.3',
        'org.opencontainers.image.description': 'OpenStack-Helm Keystone',
        'org.opencontainers.image.url': 'https://docs.openstack.org/keystone/latest/',
        'org.opencontainers.image.source': 'https://opendev.org/openstack/keystone',
        'org.opencontainers.image.authors': 'OpenStack-Helm Authors',
        'org.opencontainers.image.created': '1970-01-01T00:00:00Z',
      },
    });
    expect((manifest.layers as unknown[]).length).toBe(1);
  });

  it('chart annotations are copied except title and version, and authors carry e-mails', () => {
    const spec = chartArtifact({
      name: 'x',
      version: '1.0.0',
      digest: 'sha256:0',
      bytes: Buffer.from('x'),
      metadata: {
        apiVersion: 'v2',
        name: 'x',
        version: '1.0.0',
        maintainers: [{ name: 'A', email: 'a@x' }, { name: 'B' }],
        annotations: {
          'org.opencontainers.image.title': 'spoof',
          'org.opencontainers.image.version': '9',
          team: 'ops',
        },
      },
    });
    expect(spec.annotations).toMatchObject({
      'org.opencontainers.image.title': 'x',
      'org.opencontainers.image.version': '1.0.0',
      'org.opencontainers.image.authors': 'A (a@x), B',
      team: 'ops',
    });
  });
});

describe('pushChart / pullChart with a real docker-registry', () => {
  let registry: TestRegistry;
  let client: RegistryClient;
  let location: RegistryLocation;
  let keystone: ChartPackage;

  beforeAll(async () => {
    registry = await startRegistry();
    client = new RegistryClient({
      host: registry.host,
      retry: { retries: 1, baseDelayMs: 1, maxDelayMs: 5 },
    });
    location = { host: registry.host, namespace: 'taco' };
    keystone = await packageChart(path.join(FIXTURES, 'keystone'), { version: '2025.1.3-c.20261124.7' });
  }, 60_000);
  afterAll(async () => {
    await registry?.stop();
  });

  const raw = async (p: string) => {
    const res = await fetch(`${registry.url}${p}`, {
      headers: { Accept: 'application/vnd.oci.image.manifest.v1+json' },
    });
    expect(res.status).toBe(200);
    return Buffer.from(await res.arrayBuffer());
  };

  it('pushes as Helm does and pulls back the same bytes, by tag and by digest', async () => {
    const pushed = await pushChart(client, location, keystone);
    expect(pushed).toEqual({
      name: 'keystone',
      version: '2025.1.3-c.20261124.7',
      ref: `${registry.host}/taco/charts/keystone:2025.1.3-c.20261124.7`,
      digest: expect.stringMatching(/^sha256:[0-9a-f]{64}$/),
      contentDigest: keystone.digest,
      status: 'pushed',
    });
    // what the registry holds, read without our client
    const manifest = JSON.parse(
      (await raw('/v2/taco/charts/keystone/manifests/2025.1.3-c.20261124.7')).toString(),
    ) as { config: { mediaType: string; digest: string }; layers: { mediaType: string; digest: string }[] };
    expect(manifest.config.mediaType).toBe(HelmMediaTypes.config);
    expect(manifest.layers.map((l) => [l.mediaType, l.digest])).toEqual([
      [HelmMediaTypes.content, keystone.digest],
    ]);
    expect(await raw(`/v2/taco/charts/keystone/blobs/${manifest.config.digest}`)).toEqual(
      chartConfigJson(keystone.metadata),
    );
    expect(await raw(`/v2/taco/charts/keystone/blobs/${keystone.digest}`)).toEqual(keystone.bytes);

    for (const reference of ['2025.1.3-c.20261124.7', pushed.digest]) {
      const pulled = await pullChart(client, 'taco/charts/keystone', reference, {
        expectedDigest: pushed.digest,
      });
      expect(pulled.manifestDigest).toBe(pushed.digest);
      expect(pulled.contentDigest).toBe(keystone.digest);
      expect(pulled.pkg.bytes).toEqual(keystone.bytes);
      expect(pulled.pkg.metadata).toEqual(keystone.metadata);
    }
  });

  it('the same chart packaged again is the same artifact: unchanged, not a conflict', async () => {
    const again = await packageChart(path.join(FIXTURES, 'keystone'), { version: '2025.1.3-c.20261124.7' });
    expect(again.digest).toBe(keystone.digest);
    const pushed = await pushChart(client, location, again);
    expect(pushed.status).toBe('unchanged');
  });

  it('a different chart under a taken version is refused (TAG_TAKEN); a dry run plans without pushing', async () => {
    const other = await packageChart(path.join(FIXTURES, 'helm-toolkit'), {
      version: '2025.1.3-c.20261124.7',
    });
    const renamed = { ...other, name: 'keystone' };
    await expect(pushChart(client, location, renamed)).rejects.toThrow(/its Chart.yaml says helm-toolkit/);
    expect((await reversionChart(keystone, '2025.1.3-c.20261124.7')).digest).toBe(keystone.digest);
    const changed = await packageChart(path.join(FIXTURES, 'keystone'), { version: '2025.1.3-c.20261124.8' });
    const planned = await pushChart(client, location, changed, { dryRun: true });
    expect(planned.status).toBe('planned');
    const tags = await client.listTags('taco/charts/keystone');
    expect(tags).toEqual(['2025.1.3-c.20261124.7']);

    // re-versioning a package gives what packaging with --version gives
    const viaReversion = await reversionChart(
      await packageChart(path.join(FIXTURES, 'keystone'), { version: '0.0.1' }),
      '2025.1.3-c.20261124.7',
    );
    expect(viaReversion.digest).toBe(keystone.digest);
    const copy = { ...keystone, metadata: { ...keystone.metadata, description: 'changed' } };
    const error = await pushChart(client, location, await withDescription(copy)).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(RegistryError);
    expect((error as RegistryError).details.code).toBe('TAG_TAKEN');
  });

  it('re-versioning to a release keeps the content and changes only Chart.yaml and the config version', async () => {
    const release = await reversionChart(keystone, '1.0.0');
    const pushed = await pushChart(client, location, release);
    expect(pushed.ref).toBe(`${registry.host}/taco/charts/keystone:1.0.0`);
    const pulled = await pullChart(client, 'taco/charts/keystone', '1.0.0');
    const before = (await readChartPackage(keystone.bytes, 'candidate')).files;
    const after = (await readChartPackage(pulled.pkg.bytes, 'release')).files;
    expect([...after.keys()]).toEqual([...before.keys()]);
    for (const [name, data] of after) if (name !== 'Chart.yaml') expect(data).toEqual(before.get(name));
    expect(JSON.parse(chartConfigJson(pulled.pkg.metadata).toString()).version).toBe('1.0.0');
  });

  it('writes + as _ in the tag and pulls it back', async () => {
    const build = await reversionChart(keystone, '1.0.0+build.42');
    const pushed = await pushChart(client, location, build);
    expect(pushed.ref.endsWith(':1.0.0_build.42')).toBe(true);
    const pulled = await pullChart(client, 'taco/charts/keystone', '1.0.0_build.42');
    expect(pulled.pkg.version).toBe('1.0.0+build.42');
  });

  it('refuses a tag that disagrees with the packaged Chart.yaml version', async () => {
    const pkg = await reversionChart(keystone, '3.0.0');
    await pushImmutable(client, 'taco/charts/keystone', '9.9.9', chartArtifact(pkg));
    const error = await pullChart(client, 'taco/charts/keystone', '9.9.9').catch((e: unknown) => e);
    expect(error).toBeInstanceOf(RegistryError);
    expect((error as RegistryError).details.code).toBe('TAG_MISMATCH');
    expect((error as Error).message).toContain(
      'tag 9.9.9 does not match the packaged Chart.yaml version 3.0.0',
    );
  });

  it('refuses artifacts that are not Helm charts and a manifest other than the expected digest', async () => {
    const spec = chartArtifact(keystone);
    await pushImmutable(client, 'taco/charts/not-helm', '1.0.0', {
      ...spec,
      config: { mediaType: 'application/vnd.oci.image.config.v1+json', bytes: spec.config.bytes },
    });
    await expect(pullChart(client, 'taco/charts/not-helm', '1.0.0')).rejects.toThrow(
      /not a Helm chart: config media type/,
    );
    await pushImmutable(client, 'taco/charts/two-layers', '1.0.0', {
      ...spec,
      layers: [...spec.layers, spec.layers[0]!],
    });
    await expect(pullChart(client, 'taco/charts/two-layers', '1.0.0')).rejects.toThrow(
      /expected one .* layer/,
    );
    await pushImmutable(client, 'taco/charts/garbage', '1.0.0', {
      ...spec,
      layers: [{ mediaType: HelmMediaTypes.content, bytes: Buffer.from('not a tarball, just text') }],
    });
    const garbage = await pullChart(client, 'taco/charts/garbage', '1.0.0').catch((e: unknown) => e);
    expect((garbage as RegistryError).details.code).toBe('CHART_INVALID');
    await expect(
      pullChart(client, 'taco/charts/keystone', '1.0.0', { expectedDigest: `sha256:${'0'.repeat(64)}` }),
    ).rejects.toThrow(/expected sha256:0000/);
  });

  it('refuses tampered content: a .tgz blob whose bytes no longer match its digest', async () => {
    const pkg = await reversionChart(keystone, '4.0.0');
    const pushed = await pushChart(client, location, pkg);
    const hex = pkg.digest.slice('sha256:'.length);
    const blob = path.join(
      registry.dir,
      'data/docker/registry/v2/blobs/sha256',
      hex.slice(0, 2),
      hex,
      'data',
    );
    const bytes = readFileSync(blob);
    bytes[bytes.length - 1] ^= 0xff;
    writeFileSync(blob, bytes);
    const error = await pullChart(client, 'taco/charts/keystone', '4.0.0', {
      expectedDigest: pushed.digest,
    }).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(RegistryError);
    expect((error as RegistryError).details.code).toBe('DIGEST_INVALID');
    expect((error as Error).message).toContain(pkg.digest);
  });
});

/** The same chart with another description in Chart.yaml: another package under the same version. */
async function withDescription(pkg: ChartPackage): Promise<ChartPackage> {
  const { mkdtempSync, cpSync, rmSync } = await import('node:fs');
  const os = await import('node:os');
  const dir = mkdtempSync(path.join(os.tmpdir(), 'charts-desc-'));
  try {
    cpSync(FIXTURES, dir, { recursive: true });
    const file = path.join(dir, 'keystone/Chart.yaml');
    writeFileSync(
      file,
      readFileSync(file, 'utf8').replace('OpenStack-Helm Keystone', String(pkg.metadata.description)),
    );
    return await packageChart(path.join(dir, 'keystone'), { version: pkg.version });
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}
