import { describe, expect, it } from 'vitest';
import { applyImageTags, loadManifest, parseImages, repositoryName } from '../../actions/lib/armada/index.js';
import { chartDoc, groupDoc, HELM_TOOLKIT, manifestDoc, tempDir, writeFile } from './support.js';

describe('kolla-bats images into images.tags', () => {
  it('knows the repository name of a reference', () => {
    expect(repositoryName('registry.dev.taco.example:5000/taco/keystone:2026.11.25')).toBe('keystone');
    expect(repositoryName('sktdev/ubuntu-source-nova-api-stein:taco-v20.05')).toBe(
      'ubuntu-source-nova-api-stein',
    );
    expect(repositoryName('127.0.0.1:5000/taco/glance-api@sha256:abcd')).toBe('glance-api');
    expect(repositoryName('memcached')).toBe('memcached');
  });

  it('reads the shapes the images output comes in', () => {
    const ref = '127.0.0.1:5000/taco/keystone:2026.11.25';
    expect(parseImages(JSON.stringify([ref]))).toEqual([{ name: 'keystone', ref }]);
    expect(parseImages(JSON.stringify([{ name: 'keystone', ref }]))).toEqual([{ name: 'keystone', ref }]);
    // kolla-bats' own output: pushed images are pinned by digest, unpushed ones (digest null) are not
    const kollaBats = [
      { name: 'keystone', ref, digest: 'sha256:0f1e', tests: { passed: 12, failed: 0, skipped: 1 } },
      {
        name: 'glance-api',
        ref: '127.0.0.1:5000/taco/glance-api:2026.11.25',
        digest: null,
        tests: { passed: 3, failed: 0, skipped: 0 },
      },
    ];
    expect(parseImages(JSON.stringify(kollaBats))).toEqual([
      { name: 'keystone', ref: `${ref}@sha256:0f1e` },
      { name: 'glance-api', ref: '127.0.0.1:5000/taco/glance-api:2026.11.25' },
    ]);
    expect(
      parseImages(
        JSON.stringify([
          { repository: '127.0.0.1:5000/taco/keystone', tag: '2026.11.25', digest: 'sha256:1' },
        ]),
      ),
    ).toEqual([{ name: 'keystone', ref: `${ref}@sha256:1` }]);
    expect(parseImages(JSON.stringify({ keystone: ref }))).toEqual([{ name: 'keystone', ref }]);
    expect(parseImages(`${ref}\n127.0.0.1:5000/taco/glance-api:2026.11.25\n`).map((i) => i.name)).toEqual([
      'keystone',
      'glance-api',
    ]);
    expect(() => parseImages('[{"tag": "x"}]')).toThrow(/item 1 needs a "ref"/);
    expect(() => parseImages('[oops')).toThrow(/expected kolla-bats' JSON images output/);
  });

  it('replaces tags naming the same repository and the ones the profile maps', () => {
    const values = {
      images: {
        tags: {
          keystone_api: 'docker.io/openstackhelm/keystone:2024.1',
          db_init: 'docker.io/openstackhelm/heat:2024.1',
          dep_check: 'quay.io/airshipit/kubernetes-entrypoint:v1.0.0',
        },
      },
    };
    const images = parseImages('["r:5000/taco/keystone:n1", "r:5000/taco/kolla-toolbox:n1"]');
    const changes = applyImageTags('keystone', values, images, { db_init: 'kolla-toolbox' });
    expect(values.images.tags).toEqual({
      keystone_api: 'r:5000/taco/keystone:n1',
      db_init: 'r:5000/taco/kolla-toolbox:n1',
      dep_check: 'quay.io/airshipit/kubernetes-entrypoint:v1.0.0',
    });
    expect(changes.map((c) => c.key)).toEqual(['keystone_api', 'db_init']);
  });

  it('maps them into the deployed charts through the manifest load', () => {
    const text = [
      HELM_TOOLKIT,
      chartDoc({
        name: 'glance',
        data: { values: { images: { tags: { glance_api: 'old/glance-api:1' } } } },
      }),
      groupDoc('g', ['glance'], true),
      manifestDoc('m', ['g']),
    ].join('');
    const file = writeFile(tempDir(), 'm.yaml', text);
    const loaded = loadManifest({ files: [file], images: parseImages('["r/taco/glance-api:2"]') });
    expect(loaded.model.groups[0].charts[0].values).toEqual({
      images: { tags: { glance_api: 'r/taco/glance-api:2' } },
    });
    expect(loaded.imageChanges).toEqual([
      { chart: 'glance', key: 'glance_api', from: 'old/glance-api:1', to: 'r/taco/glance-api:2' },
    ]);
  });
});
