/**
 * Every mode of every action, with no secret in the environment, and the built-in `local` profile
 * (whose secrets are {env: TACO_*} references) or a profile naming each secret the action can take:
 * only a mode whose code path uses a secret may ask for it, and it names the secret.
 * - helm-rally, promote-version, cookiemonster: settings are resolved as each action resolves them.
 * - tempest, deploy-armada, kolla-bats, mirror-sync: the action's own run() (as taco-ci runs it),
 *   up to where it needs a cloud, a cluster, an engine or a remote. Tempest resolves its password
 *   only when it writes tempest.conf, after `tempest init`, so only a run gets that far.
 */
import { execFileSync } from 'node:child_process';
import { cpSync, mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { readInputs as helmRallyInputs } from '../../actions/helm-rally/inputs.js';
import { resolveSettings as helmRallySettings } from '../../actions/helm-rally/settings.js';
import { readInputs as promoteInputs } from '../../actions/promote-version/inputs.js';
import { resolveSettings as promoteSettings } from '../../actions/promote-version/settings.js';
import { readInputs as cookiemonsterInputs } from '../../actions/cookiemonster/inputs.js';
import { resolveSettings as cookiemonsterSettings } from '../../actions/cookiemonster/settings.js';
import { loadProfile } from '../../actions/lib/profile/load.js';
import { terminalContext } from '../../actions/lib/terminal-context.js';
import { repoRoot } from '../harness/run-action.js';
import type { ActionContext } from '../../actions/lib/context.js';
import { run as tempestRun } from '../../actions/tempest/main.js';
import { run as deployArmadaRun } from '../../actions/deploy-armada/main.js';
import { run as kollaBatsRun } from '../../actions/kolla-bats/main.js';
import { run as mirrorSyncRun } from '../../actions/mirror-sync/main.js';
import { FIXTURE_IMAGES } from '../kolla-bats/workspace.js';
import { PYTHON } from '../tempest/support/python-tests.js';

const workspace = mkdtempSync(path.join(os.tmpdir(), 'secrets-per-mode-'));
afterAll(() => rmSync(workspace, { recursive: true, force: true }));
cpSync(
  path.join(repoRoot, 'test', 'fixtures', 'helm-rally', 'dummy-pass.yaml'),
  path.join(workspace, 'dummy.yaml'),
);
cpSync(
  path.join(repoRoot, 'test', 'fixtures', 'recorded', 'rally', 'report-passed.json'),
  path.join(workspace, 'report.json'),
);
writeFileSync(
  path.join(workspace, 'boot.yaml'),
  'version: 2\ntitle: boot\nsubtasks:\n  - title: boot\n    workloads:\n      - scenario: {NovaServers.boot_and_delete_server: {flavor: {name: m1.tiny}, image: {name: cirros}}}\n        runner: {constant: {times: 1, concurrency: 1}}\n',
);

function context(inputs: Record<string, string>) {
  return terminalContext({
    inputs: { profile: 'local', ...inputs },
    // No secret at all: only what a runner always has.
    env: { PATH: process.env.PATH, HOME: process.env.HOME },
    signal: new AbortController().signal,
    write: () => undefined,
    workspace,
    tempDir: workspace,
  });
}

/** Resolves one action's settings the way its main does. */
const actions = {
  'helm-rally': (inputs: Record<string, string>) => {
    const ctx = context({ publish: 'false', ...inputs });
    return helmRallySettings(helmRallyInputs(ctx), loadProfile('local', workspace), ctx);
  },
  'promote-version': (inputs: Record<string, string>) => {
    const ctx = context(inputs);
    return promoteSettings(ctx, promoteInputs(ctx), loadProfile('local', workspace));
  },
  cookiemonster: (inputs: Record<string, string>) => {
    const ctx = context(inputs);
    return cookiemonsterSettings(cookiemonsterInputs(ctx), loadProfile('local', workspace), ctx);
  },
};

/** [action, mode, inputs, the secret the mode needs (undefined: none)]. */
const table: [keyof typeof actions, string, Record<string, string>, string | undefined][] = [
  ['helm-rally', 'report', { mode: 'report', 'rally-report': 'report.json' }, undefined],
  ['helm-rally', 'rally (Dummy task)', { mode: 'rally', task: 'dummy.yaml' }, undefined],
  [
    'helm-rally',
    'rally (OpenStack task)',
    { mode: 'rally', task: 'boot.yaml' },
    'TACO_KEYSTONE_ADMIN_PASSWORD',
  ],
  [
    'helm-rally',
    'helm-test',
    { mode: 'helm-test', chart: path.join(repoRoot, 'test', 'fixtures', 'helm-rally', 'charts', 'keystone') },
    undefined,
  ],
  ['promote-version', 'promote', { images: 'keystone', candidate: 'nightly-1' }, undefined],
  [
    'promote-version',
    'record-nightly',
    { mode: 'record-nightly', candidate: 'nightly-1', 'deploy-result': 'failure' },
    undefined,
  ],
  [
    'promote-version',
    'candidate-release',
    { mode: 'candidate-release', candidate: 'nightly-1', images: 'keystone' },
    undefined,
  ],
  ['cookiemonster', 'chaos', { targets: '[{kind: Deployment, name: keystone-api}]' }, undefined],
  [
    'cookiemonster',
    'chaos with an OpenStack Rally load',
    { targets: '[{kind: Deployment, name: keystone-api}]', 'rally-task': 'boot.yaml' },
    'TACO_KEYSTONE_ADMIN_PASSWORD',
  ],
  [
    'cookiemonster',
    "chaos with a Dummy Rally load (Rally's own platform: an empty environment)",
    { targets: '[{kind: Deployment, name: keystone-api}]', 'rally-task': 'dummy.yaml' },
    undefined,
  ],
  [
    'cookiemonster',
    'dry run with a Rally load (not started)',
    { targets: '[{kind: Deployment, name: keystone-api}]', 'rally-task': 'boot.yaml', 'dry-run': 'true' },
    undefined,
  ],
  [
    'cookiemonster',
    'dry run',
    { targets: '[{kind: Deployment, name: keystone-api}]', 'dry-run': 'true' },
    undefined,
  ],
];

describe('each mode asks only for the secrets its code path uses', () => {
  it.each(table)('%s %s', (action, _mode, inputs, needs) => {
    const resolve = () => actions[action](inputs);
    if (needs) expect(resolve).toThrow(new RegExp(`${needs} is not set`));
    else expect(resolve).not.toThrow();
  });
});

describe("cookiemonster's Rally load on Rally's own platform", () => {
  it('a Dummy-only task gets an empty environment, as in helm-rally, and no secret of the cloud', () => {
    const settings = actions.cookiemonster({
      targets: '[{kind: Deployment, name: keystone-api}]',
      'rally-task': 'dummy.yaml',
    });
    expect(settings.rallyDeployment).toEqual({ name: 'local', spec: {} });
  });

  it('a task with an OpenStack scenario still gets the profile deployment', () => {
    const ctx = context({ targets: '[{kind: Deployment, name: keystone-api}]', 'rally-task': 'boot.yaml' });
    const withPassword = terminalContext({
      inputs: {
        profile: 'local',
        targets: '[{kind: Deployment, name: keystone-api}]',
        'rally-task': 'boot.yaml',
      },
      env: { ...ctx.env, TACO_KEYSTONE_ADMIN_PASSWORD: 'from-the-job' },
      signal: new AbortController().signal,
      write: () => undefined,
      workspace,
      tempDir: workspace,
    });
    const settings = cookiemonsterSettings(
      cookiemonsterInputs(withPassword),
      loadProfile('local', workspace),
      withPassword,
    );
    expect(settings.rallyDeployment?.spec).toMatchObject({ openstack: expect.anything() });
    expect(JSON.stringify(settings.rallyDeployment)).toContain('from-the-job');
  });
});

// --- the actions whose secrets are resolved on the code path that uses them: through run() ---

/** A real Subunit v2 stream of one passing test (python -m subunit.run), for merge and report. */
function passingStream(): string {
  const dir = path.join(workspace, 'stream');
  mkdirSync(dir, { recursive: true });
  writeFileSync(
    path.join(dir, 'test_one.py'),
    'import unittest\n\nclass T(unittest.TestCase):\n    def test_ok(self):\n        pass\n',
  );
  const stream = execFileSync(PYTHON, ['-m', 'subunit.run', 'test_one'], { cwd: dir });
  const file = path.join(dir, 'one.subunit');
  writeFileSync(file, stream);
  return file;
}

/** A profile naming a secret for each place kolla-bats and mirror-sync take one. */
const sitesProfile = path.join(workspace, 'site.yaml');
writeFileSync(
  sitesProfile,
  [
    'name: site',
    'registry:',
    '  url: 127.0.0.1:9/taco',
    '  username: { env: SITE_REGISTRY_USER }',
    '  password: { env: SITE_REGISTRY_PASSWORD }',
    'kolla:',
    '  mode: dockerfile',
    '  context: images',
    '  images: [keystone]',
    'mirrors:',
    '  repos:',
    '    nova:',
    '      upstream: http://127.0.0.1:9/upstream/nova.git',
    '      mirror: http://127.0.0.1:9/mirror/nova.git',
    '      mirror-token: { env: SITE_MIRROR_TOKEN }',
    '',
  ].join('\n'),
);
cpSync(FIXTURE_IMAGES, path.join(workspace, 'images'), { recursive: true });
const tempestConf = path.join(workspace, 'tempest.conf');
writeFileSync(tempestConf, '[identity]\nuri_v3 = http://127.0.0.1:9/v3\n');
const gateReport = path.join(workspace, 'gate-report.json');
writeFileSync(
  gateReport,
  JSON.stringify({
    upstream: 'http://127.0.0.1:9/upstream/nova.git',
    mirror: 'http://127.0.0.1:9/mirror/nova.git',
    dryRun: true,
    refs: [],
  }),
);

/** One action's run() as `taco-ci run` calls it, with only what a runner always has in its environment. */
async function runWithoutSecrets(
  run: (ctx: ActionContext) => Promise<void>,
  inputs: Record<string, string>,
): Promise<{ error?: Error; output: string }> {
  let output = '';
  const tempDir = mkdtempSync(path.join(workspace, 'run-'));
  const ctx = terminalContext({
    inputs,
    env: {
      PATH: process.env.PATH,
      HOME: path.join(workspace, 'home'),
      // A user name is no secret; no engine socket: a build that gets this far fails on it.
      SITE_REGISTRY_USER: 'ci',
      DOCKER_HOST: `unix://${path.join(workspace, 'no-docker.sock')}`,
    },
    signal: new AbortController().signal,
    write: (text) => (output += text),
    workspace,
    tempDir,
  });
  try {
    await run(ctx);
    return { output };
  } catch (err) {
    return { error: err as Error, output };
  }
}

const runs = {
  tempest: tempestRun,
  'deploy-armada': deployArmadaRun,
  'kolla-bats': kollaBatsRun,
  'mirror-sync': mirrorSyncRun,
};

/**
 * [action, mode, inputs, the secret the mode needs (undefined: none), where a mode that needs
 * none stops without a cloud, cluster, engine or remote (undefined: it succeeds)].
 */
const runTable: [
  keyof typeof runs,
  string,
  Record<string, string>,
  string | undefined,
  RegExp | undefined,
][] = [
  [
    'tempest',
    'run (tempest.conf from the profile)',
    { profile: 'local', workspace: 'tempest-ws-profile', regex: 'tempest\\.api\\.identity' },
    'TEMPEST_ADMIN_PASSWORD',
    undefined,
  ],
  [
    'tempest',
    'run (a given tempest.conf)',
    { profile: 'local', workspace: 'tempest-ws-file', config: tempestConf, regex: '^no\\.such\\.test$' },
    undefined,
    /The selection matched no tests/,
  ],
  ['tempest', 'merge', { profile: 'local', mode: 'merge', subunit: passingStream() }, undefined, undefined],
  ['tempest', 'report', { profile: 'local', mode: 'report', subunit: passingStream() }, undefined, undefined],
  ['deploy-armada', 'dry run', { profile: 'local', 'dry-run': 'true' }, undefined, undefined],
  ['deploy-armada', 'deploy', { profile: 'local' }, 'TACO_KEYSTONE_ADMIN_PASSWORD', undefined],
  ['kolla-bats', 'dry run', { profile: sitesProfile, 'dry-run': 'true', tag: 't1' }, undefined, undefined],
  ['kolla-bats', 'push: false', { profile: sitesProfile, push: 'false', tag: 't1' }, undefined, /docker/],
  ['kolla-bats', 'push', { profile: sitesProfile, tag: 't1' }, 'SITE_REGISTRY_PASSWORD', undefined],
  ['mirror-sync', 'list', { profile: sitesProfile, list: 'true' }, undefined, undefined],
  [
    'mirror-sync',
    'dry run (reads the mirror)',
    { profile: sitesProfile, name: 'nova', 'dry-run': 'true' },
    'SITE_MIRROR_TOKEN',
    undefined,
  ],
  ['mirror-sync', 'sync', { profile: sitesProfile, name: 'nova' }, 'SITE_MIRROR_TOKEN', undefined],
  [
    'mirror-sync',
    'gated push',
    { profile: sitesProfile, name: 'nova', gated: gateReport },
    'SITE_MIRROR_TOKEN',
    undefined,
  ],
];

describe('each mode asks only for the secrets its code path uses, through run()', () => {
  it.each(runTable)(
    '%s %s',
    async (action, _mode, inputs, needs, stopsAt) => {
      const { error, output } = await runWithoutSecrets(runs[action], inputs);
      if (needs) {
        expect(error?.message).toMatch(new RegExp(`environment variable ${needs}(, which)? is not set`));
        return;
      }
      expect(`${error?.message ?? ''}\n${output}`).not.toMatch(/is not set|secret is required/);
      if (stopsAt) expect(error?.message).toMatch(stopsAt);
      else expect(error, output.slice(-3000)).toBeUndefined();
    },
    120_000,
  );
});
