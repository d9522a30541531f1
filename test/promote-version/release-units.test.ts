/** Units of a release with charts: the charts input, candidate chart tags, settings rules, release comparison, ledger lines. */
import { mkdtempSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { entryProblem } from '../../actions/lib/history/index.js';
import type { BillOfMaterials } from '../../actions/lib/release/index.js';
import { candidateChartTags, parseChartCandidates } from '../../actions/promote-version/charts.js';
import { readInputs } from '../../actions/promote-version/inputs.js';
import { releaseBody } from '../../actions/promote-version/github-release.js';
import { releaseDifferences } from '../../actions/promote-version/release-artifact.js';
import { resolveSettings } from '../../actions/promote-version/settings.js';
import { MANIFEST } from './support/release-world.js';

const registry = { host: '127.0.0.1:5000', namespace: 'taco' };
const digest = (c: string) => `sha256:${c.repeat(64)}`;

describe('the charts input', () => {
  it('reads names, name:version, helm-rally outputs (one object or a list)', () => {
    expect(
      parseChartCandidates('keystone, glance\n# comment\nnova:0.3.1-nightly-1', 'charts', registry),
    ).toEqual([
      { name: 'keystone', repository: 'taco/charts/keystone', reference: undefined },
      { name: 'glance', repository: 'taco/charts/glance', reference: undefined },
      { name: 'nova', repository: 'taco/charts/nova', reference: '0.3.1-nightly-1' },
    ]);
    // a build suffix is written with `_` in OCI tags, as Helm does
    expect(parseChartCandidates('nova:0.3.1+b.2', 'charts', registry)[0].reference).toBe('0.3.1_b.2');
    const output = {
      name: 'keystone',
      version: '0.3.1-c.20261124.7',
      ref: '127.0.0.1:5000/taco/charts/keystone:0.3.1-c.20261124.7',
      digest: digest('b'),
    };
    const expected = {
      name: 'keystone',
      repository: 'taco/charts/keystone',
      reference: digest('b'),
      expectedDigest: digest('b'),
    };
    expect(parseChartCandidates(JSON.stringify(output), 'charts', registry)).toEqual([expected]);
    expect(parseChartCandidates(JSON.stringify([output]), 'charts', registry)).toEqual([expected]);
    expect(parseChartCandidates('["keystone"]', 'charts', registry)).toHaveLength(1);
    expect(parseChartCandidates('  ', 'charts', registry)).toEqual([]);
  });

  it('names what is wrong', () => {
    const bad = (text: string) => () => parseChartCandidates(text, "Input 'charts'", registry);
    expect(bad('Keystone')).toThrow(/Input 'charts'.*"Keystone" is not a chart name/);
    expect(bad('keystone:latest')).toThrow(/"latest" is not a chart version/);
    expect(bad('keystone,keystone')).toThrow(/chart keystone is listed twice/);
    expect(bad('{"name": "keystone"')).toThrow(/the JSON is invalid/);
    expect(bad('[{"name":"keystone","ref":"registry.example/taco/charts/keystone:1.0.0-x"}]')).toThrow(
      /\[0\]\.ref: .* is on registry\.example, not on the promotion registry 127\.0\.0\.1:5000/,
    );
    expect(bad(`{"name":"k","version":"2.0.0-x","ref":"127.0.0.1:5000/taco/charts/k:1.0.0-x"}`)).toThrow(
      /version 2\.0\.0-x does not match the tag/,
    );
    expect(bad(`{"name":"k","ref":"127.0.0.1:5000/taco/charts/k:1.0.0-x","digest":"nope"}`)).toThrow(
      /\.digest: expected a digest/,
    );
  });

  it('finds the candidate version: the tag whose pre-release is or ends with -<candidate>', () => {
    const tags = [
      '1.0.0',
      '0.3.1-nightly-1',
      '0.3.1-nightly-10',
      '0.3.1-rc.1-nightly-2',
      '0.3.1-c.20261124.7',
      '0.3.1-nightly-3_b.5',
      'nightly-1',
    ];
    expect(candidateChartTags(tags, 'nightly-1')).toEqual(['0.3.1-nightly-1']);
    expect(candidateChartTags(tags, 'nightly-2')).toEqual(['0.3.1-rc.1-nightly-2']);
    expect(candidateChartTags(tags, 'c.20261124.7')).toEqual(['0.3.1-c.20261124.7']);
    expect(candidateChartTags(tags, 'nightly-3')).toEqual(['0.3.1-nightly-3_b.5']);
    expect(candidateChartTags(tags, 'nightly-4')).toEqual([]);
  });
});

describe('settings for releases with charts', () => {
  const workspace = mkdtempSync(path.join(os.tmpdir(), 'promote-settings-'));
  const settings = (inputs: Record<string, string>) =>
    resolveSettings(
      { env: {}, setSecret: () => undefined, workspace },
      readInputs({ getInput: (name: string) => inputs[name] ?? '' }),
      undefined,
    );
  const base = { registry: '127.0.0.1:5000/taco', images: 'a', candidate: 'nightly-1' };

  it('charts need the manifest; the manifest path is found relative to the workspace', () => {
    expect(() => settings({ ...base, charts: 'keystone' })).toThrow(
      /A release with charts needs the Armada manifest that deploys them/,
    );
    writeFileSync(path.join(workspace, 'site.yaml'), '---\n');
    const s = settings({ ...base, charts: 'keystone', manifest: 'site.yaml' });
    expect(s.manifest).toMatchObject({ file: 'site.yaml', path: path.join(workspace, 'site.yaml') });
    expect(s.charts.map((c) => c.name)).toEqual(['keystone']);
    expect(() => settings({ ...base, charts: 'keystone', manifest: 'nope.yaml' })).toThrow(
      /Input 'manifest': Armada manifest "nope.yaml" not found/,
    );
    expect(settings({ ...base, charts: 'keystone', manifest: MANIFEST }).manifest?.file).toBe('armada.yaml');
  });

  it('release excludes images, charts and manifest and must be on the promotion registry', () => {
    const release = '127.0.0.1:5000/taco/taco-release:nightly-1';
    expect(() => settings({ ...base, release })).toThrow(/cannot be combined with 'images'/);
    const s = settings({ registry: base.registry, release });
    expect(s.release).toMatchObject({ repository: 'taco/taco-release', reference: 'nightly-1' });
    expect(s.candidate).toBe('nightly-1');
    expect(s.candidates).toEqual([]);
    expect(() =>
      settings({ registry: base.registry, release: 'registry.example/taco/taco-release:nightly-1' }),
    ).toThrow(/is on registry\.example, not on the promotion registry/);
    const byDigest = `127.0.0.1:5000/taco/taco-release@${digest('e')}`;
    expect(() => settings({ registry: base.registry, release: byDigest })).toThrow(
      /names the release by digest only; give its candidate tag as input 'candidate'/,
    );
    expect(settings({ registry: base.registry, release: byDigest, candidate: 'nightly-1' }).candidate).toBe(
      'nightly-1',
    );
    expect(() => settings({ registry: base.registry, release, mode: 'candidate-release' })).toThrow(
      /mode candidate-release writes that artifact/,
    );
  });

  it('candidate-release needs a candidate tag and a manifest', () => {
    expect(() => settings({ ...base, mode: 'candidate-release' })).toThrow(
      /Mode candidate-release renders the Armada manifest/,
    );
    // kolla-bats JSON needs no candidate input, but the artifact's tag is the candidate
    const kolla = JSON.stringify([
      { name: 'a', ref: '127.0.0.1:5000/taco/a:nightly-1', digest: digest('a') },
    ]);
    expect(() =>
      settings({ registry: base.registry, images: kolla, mode: 'candidate-release', manifest: MANIFEST }),
    ).toThrow(/Input 'candidate' is required in mode candidate-release and must be a valid tag/);
    const s = settings({ ...base, mode: 'candidate-release', manifest: MANIFEST, 'github-release': 'true' });
    expect(s.githubRelease).toBeUndefined();
  });
});

describe('release comparison', () => {
  const bom = (over: Partial<BillOfMaterials> = {}): BillOfMaterials => ({
    schema: 1,
    release: '1.0.0',
    candidate: 'nightly-1',
    images: [{ name: 'a', ref: 'r/a:1.0.0', digest: digest('a') }],
    charts: [
      {
        name: 'k',
        version: '1.0.0',
        ref: 'r/charts/k:1.0.0',
        digest: digest('b'),
        contentDigest: digest('c'),
      },
    ],
    commits: [{ repository: 'https://git.example/x.git', commit: '1'.repeat(40), tag: '1.0.0' }],
    manifest: { file: 'site.yaml' },
    ...over,
  });
  it('the candidate label and the nightly do not make another release; bits and the manifest do', () => {
    const one = { bom: bom(), manifestYaml: 'x' };
    expect(
      releaseDifferences(one, {
        bom: bom({ candidate: 'other', nightly: { time: 't', status: 'passed' } }),
        manifestYaml: 'x',
      }),
    ).toEqual([]);
    expect(
      releaseDifferences(one, {
        bom: bom({
          images: [{ name: 'a', ref: 'r/a:1.0.0', digest: digest('d') }],
          charts: [],
          commits: [],
        }),
        manifestYaml: 'y',
      }),
    ).toEqual([
      `image a: it has r/a:1.0.0@${digest('a')}, this release r/a:1.0.0@${digest('d')}`,
      'chart k is in it but not in this release',
      'commit of https://git.example/x.git is in it but not in this release',
      'the rendered Armada manifest differs',
    ]);
  });
});

describe('ledger lines', () => {
  const line = {
    schema: 1,
    kind: 'promotion',
    time: '2026-11-25T19:00:00.000Z',
    status: 'complete',
    candidate: 'nightly-1',
    images: [{ name: 'a', ref: 'r/a:1.0.0', digest: digest('a') }],
  };
  it('accepts lines without charts or release (older lines) and checks them when present', () => {
    expect(entryProblem(line)).toBeUndefined();
    expect(
      entryProblem({
        ...line,
        charts: [{ name: 'k', version: '1.0.0', ref: 'r/charts/k:1.0.0', digest: digest('b') }],
        release: { ref: 'r/taco-release:1.0.0', digest: digest('c') },
      }),
    ).toBeUndefined();
    expect(entryProblem({ ...line, charts: {} })).toBe('expected "charts" to be a list');
    expect(entryProblem({ ...line, charts: [{ name: 'k' }] })).toBe(
      'charts[0]: expected {name, version, ref, digest} strings',
    );
    expect(entryProblem({ ...line, release: 'r/taco-release:1.0.0' })).toBe(
      'expected "release" to be {ref, digest} strings',
    );
  });
});

describe('the GitHub release body of a release with charts', () => {
  it('lists the charts and the release artifact', () => {
    const body = releaseBody({
      version: '2.0.0',
      candidate: 'nightly-2',
      images: [],
      charts: [
        {
          name: 'keystone',
          version: '2.0.0',
          source: 'r/charts/keystone:2025.1.3-nightly-2',
          ref: 'r/charts/keystone:2.0.0',
          digest: digest('b'),
          contentDigest: digest('c'),
          status: 'promoted',
        },
      ],
      releaseArtifact: { ref: 'r/taco-release:2.0.0', digest: digest('d') },
      commits: [],
    });
    expect(body).toContain(
      `## Charts\n\n| chart | digest |\n| --- | --- |\n| \`r/charts/keystone:2.0.0\` | \`${digest('b')}\` |`,
    );
    expect(body).toContain(`Bill of materials and Armada manifest: \`r/taco-release:2.0.0@${digest('d')}\``);
  });
});

describe('taco-ci plan with charts', () => {
  it('names the charts, the re-versioning and the release artifact', async () => {
    const { loadProfile } = await import('../../actions/lib/profile/load.js');
    const { renderPlan } = await import('../../actions/lib/plan.js');
    const { plan } = await import('../../actions/promote-version/plan.js');
    const file = path.join(mkdtempSync(path.join(os.tmpdir(), 'promote-plan-')), 'site.yaml');
    writeFileSync(
      file,
      'name: site\nregistry:\n  url: registry.taco.example/taco\npromote:\n  images: [keystone]\n  charts: [keystone, "glance:2025.1.7-nightly-1"]\narmada:\n  manifest: site/openstack.yaml\n',
    );
    const text = renderPlan(plan(loadProfile(file)));
    expect(text).toContain(
      "re-version charts to <version> (only Chart.yaml's version changes) and push them to registry.taco.example/taco/charts/<chart>:<version>",
    );
    expect(text).toContain('keystone (the tag <version>-<candidate>)');
    expect(text).toContain('glance:2025.1.7-nightly-1');
    expect(text).toContain(
      'write the release artifact registry.taco.example/taco/taco-release:<version>: bill of materials + site/openstack.yaml rendered',
    );
  });
});
