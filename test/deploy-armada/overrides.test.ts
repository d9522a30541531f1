import { describe, expect, it } from 'vitest';
import { loadManifest, ManifestError, parseSetOverride } from '../../actions/lib/armada/index.js';
import { chartDoc, groupDoc, HELM_TOOLKIT, manifestDoc, tempDir, writeFile } from './support.js';

const MANIFEST = [
  HELM_TOOLKIT,
  chartDoc({
    name: 'keystone',
    data: { values: { pod: { replicas: { api: 1 } }, conf: { keystone: { DEFAULT: { debug: false } } } } },
  }),
  chartDoc({
    name: 'ceph-config',
    data: { values: { network: { public: '192.168.0.0/24' }, pools: ['volumes', 'images'] } },
  }),
  groupDoc('services', ['keystone', 'ceph-config'], true),
  manifestDoc('armada-manifest', ['services']),
].join('');

function setup() {
  const dir = tempDir();
  return { dir, file: writeFile(dir, 'manifest.yaml', MANIFEST) };
}

function charts(loaded: ReturnType<typeof loadManifest>) {
  return Object.fromEntries(loaded.model.groups[0].charts.map((c) => [c.document, c]));
}

describe('Armada overrides', () => {
  it('parses <type>:<name>:<path>=<value>', () => {
    expect(parseSetOverride('chart:ceph-config:values.network.public=10.0.0.0/24')).toEqual({
      kind: 'Chart',
      name: 'ceph-config',
      path: ['values', 'network', 'public'],
      value: '10.0.0.0/24',
      text: 'chart:ceph-config:values.network.public=10.0.0.0/24',
    });
    expect(parseSetOverride('manifest:armada-manifest:release_prefix=a=b')).toMatchObject({
      kind: 'Manifest',
      value: 'a=b',
    });
    expect(parseSetOverride('chart:ceph-config')).toMatch(/expected <chart\|chart_group\|manifest>/);
    expect(parseSetOverride('release:x:values.a=1')).toMatch(/must be chart, chart_group or manifest/);
  });

  it('sets strings as Armada does, splits strings set on lists, types values that replace numbers/booleans', () => {
    const { file } = setup();
    const loaded = loadManifest({
      files: [file],
      set: [
        'chart:ceph-config:values.network.public=10.0.0.0/24',
        'chart:ceph-config:values.pools=volumes, vms',
        'chart:keystone:values.pod.replicas.api=3',
        'chart:keystone:values.conf.keystone.DEFAULT.debug=true',
        'chart:keystone:wait.timeout=1800',
        'chart:keystone:values.new.key=7',
        'manifest:armada-manifest:release_prefix=taco',
      ],
    });
    const { keystone, 'ceph-config': ceph } = charts(loaded);
    expect(ceph.values).toEqual({ network: { public: '10.0.0.0/24' }, pools: ['volumes', 'vms'] });
    expect(keystone.values).toEqual({
      pod: { replicas: { api: 3 } },
      conf: { keystone: { DEFAULT: { debug: true } } },
      new: { key: '7' },
    });
    expect(keystone.wait.timeoutS).toBe(1800);
    expect(keystone.release).toBe('taco-keystone');
  });

  it('deep-merges values files into documents of the same schema and name; set wins', () => {
    const { dir, file } = setup();
    const site = writeFile(
      dir,
      'site.yaml',
      '---\nschema: armada/Chart/v1\nmetadata: {schema: metadata/Document/v1, name: keystone}\ndata:\n  values:\n    pod: {replicas: {api: 2}}\n    endpoints: {identity: {host_fqdn_override: {public: keystone.dev.taco.example}}}\n',
    );
    const loaded = loadManifest({
      files: [file],
      valuesFiles: [site],
      set: ['chart:keystone:values.pod.replicas.api=5'],
    });
    expect(charts(loaded).keystone.values).toEqual({
      pod: { replicas: { api: 5 } },
      conf: { keystone: { DEFAULT: { debug: false } } },
      endpoints: { identity: { host_fqdn_override: { public: 'keystone.dev.taco.example' } } },
    });
  });

  it('rejects overrides of documents that do not exist and overrides that break the schema', () => {
    const { dir, file } = setup();
    const stray = writeFile(
      dir,
      'stray.yaml',
      '---\nschema: armada/Chart/v1\nmetadata: {name: glance}\ndata: {values: {a: 1}}\n',
    );
    const problems = (run: () => unknown) => {
      try {
        run();
      } catch (err) {
        return (err as ManifestError).problems.map(
          (p) => `${p.file.endsWith('stray.yaml') ? 'stray.yaml:' + p.line : p.file} ${p.message}`,
        );
      }
      return [];
    };
    expect(problems(() => loadManifest({ files: [file], valuesFiles: [stray] }))).toEqual([
      'stray.yaml:3 no Chart document named "glance" in the manifest to merge these values into',
    ]);
    expect(problems(() => loadManifest({ files: [file], set: ['chart:glance:values.a=1'] }))).toEqual([
      `input 'set' "chart:glance:values.a=1": no Chart document named "glance" in the manifest`,
    ]);
    expect(
      problems(() => loadManifest({ files: [file], set: ['chart:keystone:wait.timeout=soon'] }))[0],
    ).toContain('expected a whole number of seconds, got "soon"');
  });

  it('merges the profile chart values first, so the run overrides win', () => {
    const { file } = setup();
    const loaded = loadManifest({
      files: [file],
      charts: {
        keystone: {
          values: { pod: { replicas: { api: 2 } }, conf: { keystone: { DEFAULT: { debug: true } } } },
        },
      },
      set: ['chart:keystone:values.pod.replicas.api=4'],
    });
    expect(charts(loaded).keystone.values).toEqual({
      pod: { replicas: { api: 4 } },
      conf: { keystone: { DEFAULT: { debug: true } } },
    });
  });
});
