import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { RegistryClient } from '../../actions/lib/registry/client.js';
import {
  type BillOfMaterials,
  type BomChart,
  pushRelease,
  renderReleaseManifest,
} from '../../actions/lib/release/index.js';
import { repoRoot } from '../harness/run-action.js';
import { startRegistry, type TestRegistry } from '../support/registry.js';
import { taco } from '../support/taco-cli.js';

const MANIFEST = path.join(repoRoot, 'examples/armada/openstack.yaml');
const CHARTS = ['ingress', 'ceph-provisioners', 'mariadb', 'rabbitmq', 'memcached', 'keystone', 'glance'];
const CHARTS_2 = [...CHARTS, 'libvirt', 'openvswitch', 'nova', 'neutron'];
const digest = (seed: string) => `sha256:${seed.repeat(64).slice(0, 64)}`;

function bom(host: string, release: string, charts: string[], keystoneSeed: string): BillOfMaterials {
  return {
    schema: 1,
    release,
    candidate: `nightly-${release}`,
    images: [
      { name: 'keystone', ref: `${host}/taco/keystone:${release}`, digest: digest(keystoneSeed) },
      { name: 'glance-api', ref: `${host}/taco/glance-api:${release}`, digest: digest('b') },
    ],
    charts: charts.map((name, i) => ({
      name,
      version: release,
      ref: `${host}/taco/charts/${name}:${release}`,
      // keystone changed: re-versioned from another candidate version in each release
      ...(name === 'keystone' ? keystoneSource(host, release) : {}),
      digest: digest(name === 'keystone' ? `${keystoneSeed}${i}` : `c${i}`),
      contentDigest: digest(`d${i}`),
    })),
    commits: [{ repository: 'https://git.example/openstack-helm', commit: `${keystoneSeed}`.repeat(40) }],
    manifest: { file: 'examples/armada/openstack.yaml' },
  };
}

/** Release 1.0.0's BOM predates sourceVersion: only its source reference names the candidate version. */
function keystoneSource(host: string, release: string): Partial<BomChart> {
  return release === '1.0.0'
    ? { source: `${host}/taco/charts/keystone:0.1.0-nightly-1@${digest('f')}` }
    : { sourceVersion: '0.2.0', source: `${host}/taco/charts/keystone:0.2.0-nightly-2@${digest('f')}` };
}

describe('taco-ci release', () => {
  let registry: TestRegistry;
  let profile: string;
  const env = { REG_USER: 'ci', REG_PASS: 'release-cli-secret' };

  beforeAll(async () => {
    registry = await startRegistry({ username: env.REG_USER, password: env.REG_PASS });
    profile = path.join(mkdtempSync(path.join(os.tmpdir(), 'release-cli-')), 'site.yaml');
    writeFileSync(
      profile,
      `name: release-cli\nextends: ${path.join(repoRoot, 'profiles/local.yaml')}\nregistry:\n  url: ${registry.host}/taco\n` +
        `  username: {env: REG_USER}\n  password: {env: REG_PASS}\n`,
    );
    const client = new RegistryClient({
      host: registry.host,
      credentials: { username: 'ci', password: env.REG_PASS },
    });
    const location = { host: registry.host, namespace: 'taco' };
    const text = readFileSync(MANIFEST, 'utf8');
    // Release 1 deploys part of the manifest: render a copy whose compute group is not deployed.
    const partial = text.replace(/(chart_groups:[\s\S]*)\n {4}- openstack-compute-kit/, '$1');
    try {
      for (const [release, charts, seed, manifest] of [
        ['1.0.0', CHARTS, 'a', partial],
        ['2.0.0', CHARTS_2, 'e', text],
      ] as const) {
        const content = bom(registry.host, release, [...charts], seed);
        await pushRelease(client, location, {
          bom: content,
          manifestYaml: renderReleaseManifest(manifest, MANIFEST, content, { scheme: 'http' }),
        });
      }
    } finally {
      client.close();
    }
  });
  afterAll(async () => {
    await registry?.stop();
  });

  it('shows the bill of materials of a release named by tag, with the profile credentials', () => {
    const { code, stdout, stderr } = taco(['release', 'show', '1.0.0', '--profile', profile], { env });
    expect(stderr).toBe('');
    expect(code).toBe(0);
    expect(stdout).toMatch(
      new RegExp(
        `^Release 1\\.0\\.0 \\(candidate nightly-1\\.0\\.0\\)\\nArtifact ${registry.host}/taco/taco-release:1\\.0\\.0@sha256:[0-9a-f]{64}`,
      ),
    );
    expect(stdout).toMatch(/^image +keystone +1\.0\.0 +sha256:a{64} /m);
    expect(stdout).toMatch(/^chart +glance +1\.0\.0 +sha256:(c6){32} /m);
    expect(stdout).not.toContain(env.REG_PASS);
  });

  it('lists what changed between two releases', () => {
    const { code, stdout } = taco(
      ['release', 'diff', '1.0.0', `${registry.host}/taco/taco-release:2.0.0`, '-p', profile],
      { env },
    );
    expect(code).toBe(0);
    expect(stdout).toMatch(/6 image\(s\)\/chart\(s\) changed, 7 unchanged/);
    expect(stdout).toMatch(/^image +keystone +changed +1\.0\.0 a{12} +2\.0\.0 e{12}$/m);
    expect(stdout).toMatch(/^chart +nova +added +— +2\.0\.0 (c9){6}$/m);
    // The candidate versions the releases' keystone chart was re-versioned from.
    expect(stdout).toMatch(
      /^chart +keystone +changed +1\.0\.0 \(from 0\.1\.0-nightly-1\) (a5){6} +2\.0\.0 \(from 0\.2\.0\) (e5){6}$/m,
    );
    expect(stdout).toMatch(/^commit +https:\/\/git\.example\/openstack-helm +changed +a{12} +e{12}$/m);
    const json = JSON.parse(
      taco(['release', 'diff', '1.0.0', '2.0.0', '-p', profile, '--format', 'json'], { env }).stdout,
    );
    expect(json.artifacts.map((a: { name: string; change: string }) => `${a.name} ${a.change}`)).toEqual([
      'keystone changed',
      'keystone changed',
      'libvirt added',
      'neutron added',
      'nova added',
      'openvswitch added',
    ]);
  });

  it('fails with the registry answer for a release that does not exist, and without credentials', () => {
    const missing = taco(['release', 'show', '9.0.0', '-p', profile], { env });
    expect(missing.code).toBe(1);
    expect(missing.stderr).toMatch(/taco\/taco-release(:|@)9\.0\.0: HTTP 404 MANIFEST_UNKNOWN/);
    const anonymous = taco(['release', 'show', '1.0.0', '-p', profile], {
      env: { REG_USER: '', REG_PASS: '' },
    });
    // The profile names its credentials' variables: unset, that is the user's mistake, named (exit 2).
    expect(anonymous.code).toBe(2);
    expect(anonymous.stderr).toMatch(/REG_USER/);
  });
});
