import { readFileSync } from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { KollaSummaryError, parseKollaSummary } from '../../actions/kolla-bats/kolla/adapter.js';
import {
  kollaImageReference,
  kollaInvocation,
  requiredFiles,
} from '../../actions/kolla-bats/kolla/options.js';
import { UserError } from '../../actions/lib/errors.js';

/**
 * kolla-build's options as kolla/common/config.py declares them (_CLI_OPTS and _BASE_OPTS, kolla
 * master, July 2026) plus oslo.config's own --config-file. Config files use the dest (dashes → _).
 */
const KOLLA_CLI_OPTIONS = [
  'base',
  'base-tag',
  'base-image',
  'base-arch',
  'debian-arch',
  'use-dumb-init',
  'debug',
  'skip-parents',
  'skip-existing',
  'build-args',
  'keep',
  'list-dependencies',
  'list-images',
  'locals-base',
  'namespace',
  'network_mode',
  'buildkit',
  'buildkit-builder',
  'cache',
  'patches-path',
  'platform',
  'profile',
  'push',
  'push-threads',
  'retries',
  'registry',
  'save-dependency',
  'format',
  'summary-json-file',
  'tarballs-base',
  'threads',
  'tag',
  'template-only',
  'timeout',
  'template-override',
  'docker-dir',
  'logs-dir',
  'pull',
  'work-dir',
  'squash',
  'openstack-release',
  'openstack-release-codename',
  'openstack-branch',
  'openstack-branch-slashed',
  'docker-healthchecks',
  'quiet',
  'enable-unbuildable',
  'summary',
  'image-name-prefix',
  'repos-yaml',
  'engine',
  'podman_base_url',
];
/** Removed in kolla 16.0.0 (2023.1) but still understood by the releases before it. */
const LEGACY_OPTIONS = ['install-type'];
const CONFIG_DESTS = new Set(
  [...KOLLA_CLI_OPTIONS, ...LEGACY_OPTIONS].map((name) => name.replace(/-/g, '_')),
);

const context = '/src/kolla-wrapper';
const workDir = '/tmp/run';

function confEntries(text: string): [string, string][] {
  return text
    .split('\n')
    .filter((line) => /^\w+ = /.test(line))
    .map((line) => {
      const at = line.indexOf(' = ');
      return [line.slice(0, at), line.slice(at + 3)];
    });
}

describe('kolla-build invocation', () => {
  const full = kollaInvocation({
    section: {
      'config-file': 'kolla-build.conf',
      base: 'ubuntu',
      'base-tag': '24.04',
      'openstack-release': '2025.1',
      'template-overrides': ['overrides/base.j2', 'overrides/keystone.j2'],
      'docker-dirs': ['docker'],
      profiles: ['main', 'aux'],
      'skip-parents': true,
      'skip-existing': false,
      threads: 4,
      retries: 1,
      pull: false,
      'image-name-prefix': 'taco-',
      'extra-args': ['--debug'],
    },
    context,
    engine: 'podman',
    registryHost: 'registry.example:5000',
    registryNamespace: 'taco/candidates',
    tag: 'main-0123456-7',
    regexes: ['^keystone', 'horizon$'],
    buildArgs: { HTTP_PROXY: 'http://proxy:3128' },
    workDir,
  });

  it('writes every setting under [DEFAULT] with kolla option names', () => {
    expect(full.configText.split('\n')[1]).toBe('[DEFAULT]');
    const entries = confEntries(full.configText);
    for (const [key] of entries) expect(CONFIG_DESTS, key).toContain(key);
    expect(entries).toEqual([
      ['base', 'ubuntu'],
      ['base_tag', '24.04'],
      ['openstack_release', '2025.1'],
      ['engine', 'podman'],
      ['registry', 'registry.example:5000'],
      ['namespace', 'taco/candidates'],
      ['image_name_prefix', 'taco-'],
      ['tag', 'main-0123456-7'],
      ['template_override', path.join(context, 'overrides/base.j2')],
      ['template_override', path.join(context, 'overrides/keystone.j2')],
      ['docker_dir', path.join(context, 'docker')],
      ['skip_parents', 'true'],
      ['skip_existing', 'false'],
      ['threads', '4'],
      ['retries', '1'],
      ['pull', 'false'],
      ['build_args', 'HTTP_PROXY:http://proxy:3128'],
      ['push', 'false'],
      ['format', 'json'],
      ['summary_json_file', path.join(workDir, 'kolla-summary.json')],
      ['logs_dir', path.join(workDir, 'logs')],
    ]);
  });

  it('reads the wrapper config first, then the generated one, then profiles, extra args and regexes', () => {
    expect(full.command).toBe('kolla-build');
    expect(full.cwd).toBe(context);
    expect(full.args).toEqual([
      '--config-file',
      path.join(context, 'kolla-build.conf'),
      '--config-file',
      path.join(workDir, 'kolla-build.conf'),
      '--profile',
      'main',
      '--profile',
      'aux',
      '--debug',
      '^keystone',
      'horizon$',
    ]);
    for (const flag of full.args.filter((a) => a.startsWith('--'))) {
      expect(['config-file', ...KOLLA_CLI_OPTIONS]).toContain(flag.slice(2));
    }
  });

  it('names images as kolla does: <registry>/<namespace>/<prefix><name>:<tag>', () => {
    expect(kollaImageReference(full, 'registry.example:5000', 'keystone', 'main-0123456-7')).toBe(
      'registry.example:5000/taco/candidates/taco-keystone:main-0123456-7',
    );
  });

  it('falls back to the kolla namespace and writes only what is set', () => {
    const minimal = kollaInvocation({
      section: { 'install-type': 'source' },
      context,
      engine: 'docker',
      registryNamespace: '',
      tag: 't',
      regexes: [],
      buildArgs: {},
      workDir,
    });
    expect(minimal.namespace).toBe('kolla');
    expect(confEntries(minimal.configText).map(([k]) => k)).toEqual([
      'install_type',
      'engine',
      'namespace',
      'tag',
      'push',
      'format',
      'summary_json_file',
      'logs_dir',
    ]);
    expect(minimal.args).toEqual(['--config-file', path.join(workDir, 'kolla-build.conf')]);
    expect(kollaImageReference(minimal, undefined, 'keystone', 't')).toBe('kolla/keystone:t');
  });

  it('refuses values kolla-build cannot read back', () => {
    const request = {
      section: {},
      context,
      engine: 'docker' as const,
      registryNamespace: '',
      tag: 't',
      regexes: [],
      workDir,
    };
    expect(() => kollaInvocation({ ...request, buildArgs: { LIST: 'a,b' } })).toThrow(UserError);
    expect(() => kollaInvocation({ ...request, buildArgs: { LIST: 'a,b' } })).toThrow(
      /kolla.build-args.LIST/,
    );
    expect(() => kollaInvocation({ ...request, section: { 'base-tag': 'x\ny' }, buildArgs: {} })).toThrow(
      /cannot span lines/,
    );
  });

  it('lists the wrapper files that must exist, with their profile keys', () => {
    expect(
      requiredFiles(
        { 'config-file': 'k.conf', 'template-overrides': ['o.j2'], 'docker-dirs': ['d'] },
        context,
      ),
    ).toEqual([
      { key: 'kolla.kolla-build.config-file', file: path.join(context, 'k.conf') },
      { key: 'kolla.kolla-build.template-overrides[0]', file: path.join(context, 'o.j2') },
      { key: 'kolla.kolla-build.docker-dirs[0]', file: path.join(context, 'd') },
    ]);
  });
});

describe('kolla-build JSON summary', () => {
  it('reads built, failed (with status), not matched, skipped and unbuildable images', () => {
    const file = path.resolve(import.meta.dirname, '../fixtures/kolla-bats/kolla/summary-mixed.json');
    expect(parseKollaSummary(readFileSync(file, 'utf8'), file)).toEqual({
      built: ['keystone', 'keystone-base'],
      failed: [
        { name: 'horizon', status: 'error' },
        { name: 'keystone-fernet', status: 'parent_error' },
      ],
      notMatched: ['nova-api'],
      skipped: ['base'],
      unbuildable: [],
    });
  });

  it('accepts the single-line form kolla prints to stdout and rejects other JSON', () => {
    expect(
      parseKollaSummary(
        '{"built": [], "failed": [], "not_matched": [], "skipped": [], "unbuildable": []}',
        'stdout',
      ).built,
    ).toEqual([]);
    expect(() => parseKollaSummary('[]', 'f.json')).toThrow(KollaSummaryError);
    expect(() => parseKollaSummary('{"built": [{"nom": 1}], "failed": []}', 'f.json')).toThrow(
      /"built" must be a list of \{name/,
    );
    expect(() => parseKollaSummary('{oops', 'f.json')).toThrow(/f.json: not JSON/);
  });
});
