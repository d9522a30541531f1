/**
 * Every mode of every action, with no secret in the environment, and the built-in `local` profile
 * (whose secrets are {env: TACO_*} references): only a mode whose code path uses a secret may ask
 * for it, and it names the secret. Settings are resolved as each action resolves them, so nothing
 * has to run against a cluster or a cloud.
 */
import { cpSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
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
