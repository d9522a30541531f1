import { describe, expect, it } from 'vitest';
import {
  checkManifestFile,
  formatManifestProblem,
  loadManifest,
  ManifestError,
  type ManifestProblem,
} from '../../actions/lib/armada/index.js';
import { chartDoc, groupDoc, HELM_TOOLKIT, manifestDoc, tempDir, writeFile } from './support.js';

function load(
  text: string,
  options: Parameters<typeof loadManifest>[0] extends infer O ? Partial<O> : never = {},
) {
  const file = writeFile(tempDir(), 'manifest.yaml', text);
  return loadManifest({ files: [file], ...options });
}

function problemsOf(text: string, options = {}): ManifestProblem[] {
  try {
    load(text, options);
  } catch (err) {
    if (err instanceof ManifestError) return err.problems;
    throw err;
  }
  return [];
}

const OPENSTACK = [
  HELM_TOOLKIT,
  chartDoc({ name: 'mariadb' }),
  chartDoc({ name: 'rabbitmq' }),
  chartDoc({ name: 'keystone', data: { test: { enabled: true, timeout: 600 } } }),
  chartDoc({ name: 'glance', data: { test: false } }),
  chartDoc({ name: 'horizon' }),
  groupDoc('infra', ['mariadb', 'rabbitmq'], false),
  groupDoc('services', ['keystone', 'glance'], true),
  manifestDoc('armada-manifest', ['infra', 'services']),
].join('');

describe('the deployment model', () => {
  it('orders groups and charts as the manifest does, with prefixed release names', () => {
    const { model } = load(OPENSTACK);
    expect(model.manifest).toBe('armada-manifest');
    expect(model.groups.map((g) => [g.name, g.sequenced, g.charts.map((c) => c.release)])).toEqual([
      ['infra', false, ['osh-mariadb', 'osh-rabbitmq']],
      ['services', true, ['osh-keystone', 'osh-glance']],
    ]);
  });

  it('packages helm-toolkit as a dependency, never as a release, and leaves charts in no group out', () => {
    const { model } = load(OPENSTACK);
    const releases = model.groups.flatMap((g) => g.charts.map((c) => c.release));
    expect(releases).not.toContain('osh-helm-toolkit');
    expect(model.groups[0].charts[0].dependencies).toEqual([
      expect.objectContaining({
        document: 'helm-toolkit',
        chartName: 'helm-toolkit',
        source: expect.objectContaining({ location: '/srv/osh-infra', subpath: 'helm-toolkit' }),
      }),
    ]);
    expect(model.unused).toEqual(['horizon']);
  });

  it("applies Armada's defaults: tests on unless disabled, 900 s waits, release_group labels", () => {
    const text = [
      HELM_TOOLKIT,
      chartDoc({ name: 'memcached', data: { wait: undefined } }),
      groupDoc('g', ['memcached'], true),
      manifestDoc('m', ['g'], 'taco'),
    ].join('');
    const chart = load(text).model.groups[0].charts[0];
    expect(chart.test).toEqual({ enabled: true, timeoutS: 300, cleanup: false });
    expect(chart.wait).toEqual({
      timeoutS: 900,
      labels: { release_group: 'taco-memcached' },
      resources: [],
      native: true,
    });
    const services = load(OPENSTACK).model.groups[1].charts;
    expect(services.map((c) => [c.release, c.test.enabled, c.test.timeoutS])).toEqual([
      ['osh-keystone', true, 600],
      ['osh-glance', false, 300],
    ]);
  });

  it('reads wait resources, upgrade.pre.delete and protection', () => {
    const text = [
      HELM_TOOLKIT,
      chartDoc({
        name: 'mariadb',
        data: {
          wait: {
            timeout: 1200,
            labels: { release_group: 'osh-mariadb' },
            resources: [{ type: 'statefulset', min_ready: '50%' }],
            native: { enabled: false },
          },
          upgrade: {
            no_hooks: false,
            pre: { delete: [{ type: 'job', labels: { application: 'mariadb' } }] },
            options: { force: true },
          },
          protected: { continue_processing: true },
        },
      }),
      groupDoc('g', ['mariadb'], true),
      manifestDoc('m', ['g']),
    ].join('');
    const chart = load(text).model.groups[0].charts[0];
    expect(chart.wait).toMatchObject({
      timeoutS: 1200,
      resources: [{ type: 'statefulset', minReady: '50%' }],
      native: false,
    });
    expect(chart.upgrade).toEqual({
      noHooks: false,
      force: true,
      preDelete: [{ type: 'job', labels: { application: 'mariadb' } }],
    });
    expect(chart.protected).toEqual({ continueProcessing: true });
  });
});

describe('located errors', () => {
  it('names file, line, document and key path for schema errors', () => {
    const text = OPENSTACK.replace('timeout: 600\n', 'timeout: soon\n').replace(
      '    type: local\n    location: /srv/osh\n    subpath: rabbitmq',
      '    type: svn\n    location: /srv/osh\n    subpath: rabbitmq',
    );
    const problems = problemsOf(text);
    const lines = problems.map((p) => formatManifestProblem(p));
    const timeout = problems.find((p) => p.keyPath === 'data.test.timeout');
    expect(timeout).toMatchObject({ document: 'Chart keystone', severity: 'error' });
    expect(text.split('\n')[timeout!.line - 1]).toContain('timeout: soon');
    const source = problems.find((p) => p.keyPath === 'data.source.type');
    expect(source?.message).toBe('expected git, local or tar, got "svn"');
    expect(text.split('\n')[source!.line - 1]).toContain('type: svn');
    expect(lines.every((l) => /manifest\.yaml:\d+:\d+ \[Chart \w+\] data\./.test(l))).toBe(true);
  });

  it('rejects unknown top-level keys and missing required ones', () => {
    const text = [
      HELM_TOOLKIT,
      chartDoc({ name: 'nova', data: { chart_name: undefined, valeus: {} } }),
      groupDoc('g', ['nova'], true),
      manifestDoc('m', ['g']),
    ].join('');
    const problems = problemsOf(text).map((p) => `${p.document} ${p.keyPath}: ${p.message}`);
    expect(problems).toContain('Chart nova data.chart_name: required key is missing');
    expect(problems.some((p) => p.startsWith('Chart nova data.valeus: unknown key'))).toBe(true);
  });

  it('requires upgrade.no_hooks when upgrade is given, and warns about keys Armada dropped', () => {
    const text = [
      HELM_TOOLKIT,
      chartDoc({ name: 'rabbitmq', data: { upgrade: { options: { recreate_pods: true } }, timeout: 100 } }),
      groupDoc('g', ['rabbitmq'], true),
      manifestDoc('m', ['g']),
    ].join('');
    expect(problemsOf(text).map((p) => `${p.keyPath}: ${p.message}`)).toContain(
      'data.upgrade.no_hooks: required key is missing',
    );
    const fixed = text.replace('upgrade:\n    options:', 'upgrade:\n    no_hooks: false\n    options:');
    const loaded = load(fixed);
    expect(loaded.warnings.map((w) => w.keyPath)).toEqual([
      'data.timeout',
      'data.upgrade.options.recreate_pods',
    ]);
    expect(loaded.model.groups[0].charts[0].wait.timeoutS).toBe(60);
  });

  it('reports references to documents that do not exist where they are made', () => {
    const text = [
      HELM_TOOLKIT,
      chartDoc({ name: 'nova', data: { dependencies: ['helm-toolkit', 'nova-common'] } }),
      groupDoc('compute', ['nova', 'neutron'], false),
      manifestDoc('m', ['compute', 'storage']),
    ].join('');
    const problems = problemsOf(text).map((p) => `${p.document} ${p.keyPath}: ${p.message}`);
    expect(problems).toEqual(
      expect.arrayContaining([
        'Manifest m data.chart_groups.1: no ChartGroup named "storage"',
        'ChartGroup compute data.chart_group.1: no Chart named "neutron"',
        'Chart nova data.dependencies.1: no Chart named "nova-common" to package as a dependency',
      ]),
    );
  });

  it('needs target-manifest when there are several manifests, and finds the named one', () => {
    const text = `${OPENSTACK}${manifestDoc('infra-only', ['infra'], 'taco')}`;
    expect(problemsOf(text)[0].message).toMatch(
      /2 armada\/Manifest\/v1 documents \(armada-manifest, infra-only\): choose one with target-manifest/,
    );
    const { model } = load(text, { targetManifest: 'infra-only' });
    expect(model.groups.flatMap((g) => g.charts.map((c) => c.release))).toEqual([
      'taco-mariadb',
      'taco-rabbitmq',
    ]);
    expect(problemsOf(text, { targetManifest: 'nope' })[0].message).toContain(
      'target manifest "nope" not found',
    );
  });

  it('reports YAML syntax errors, duplicate names and unsupported schema versions', () => {
    expect(problemsOf('---\nschema: armada/Chart/v1\nmetadata: {name: x\n')[0].message).toMatch(
      /^YAML syntax/,
    );
    const dup = [
      HELM_TOOLKIT,
      chartDoc({ name: 'nova' }),
      chartDoc({ name: 'nova' }),
      groupDoc('g', ['nova'], true),
      manifestDoc('m', ['g']),
    ].join('');
    expect(problemsOf(dup).map((p) => p.message)).toContainEqual(
      expect.stringMatching(/^duplicate Chart name: also defined at manifest.yaml:\d+/),
    );
    expect(problemsOf('---\nschema: armada/Chart/v2\nmetadata: {name: x}\ndata: {}\n')[0].message).toContain(
      'unsupported schema "armada/Chart/v2"',
    );
  });

  it('validates a manifest file for taco-ci validate without placeholders being errors', () => {
    const file = writeFile(tempDir(), 'm.yaml', OPENSTACK.replace('/srv/osh', '${OSH_PATH}'));
    expect(checkManifestFile(file)).toEqual([]);
  });
});
