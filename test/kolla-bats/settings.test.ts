import { mkdirSync, mkdtempSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { readInputs } from '../../actions/kolla-bats/inputs.js';
import { resolveSettings } from '../../actions/kolla-bats/settings.js';
import { UserError } from '../../actions/lib/errors.js';
import { loadProfile } from '../../actions/lib/profile/load.js';

const workspace = mkdtempSync(path.join(os.tmpdir(), 'kolla-bats-settings-'));
mkdirSync(path.join(workspace, 'images'));
mkdirSync(path.join(workspace, 'wrapper'));

function settingsFor(inputs: Record<string, string>, env: Record<string, string> = {}, profileText?: string) {
  let profileSpec = inputs.profile ?? 'local';
  if (profileText) {
    profileSpec = path.join(workspace, `p-${Math.random().toString(36).slice(2)}.yaml`);
    writeFileSync(profileSpec, profileText);
  }
  const secrets: string[] = [];
  const ctx = { env, workspace, setSecret: (value: string) => secrets.push(value) };
  const parsed = readInputs({ getInput: (name) => inputs[name] ?? '' });
  return { settings: resolveSettings(ctx, parsed, loadProfile(profileSpec, workspace)), secrets };
}

describe('kolla-bats settings', () => {
  it('takes the local profile defaults: dockerfile mode, docker, loopback registry over HTTP', () => {
    const { settings } = settingsFor({});
    expect(settings).toMatchObject({
      mode: 'dockerfile',
      engine: 'docker',
      context: path.join(workspace, 'images'),
      tests: 'tests/{image}.bats',
      push: true,
      registry: { host: '127.0.0.1:5000', namespace: 'taco', insecure: true },
      testTimeoutMs: 5 * 60_000,
      buildTimeoutMs: 20 * 60_000,
    });
  });

  it('lets inputs override the profile', () => {
    const { settings, secrets } = settingsFor({
      mode: 'kolla',
      engine: 'podman',
      context: 'wrapper',
      images: '^keystone\n^nova-',
      tests: 'suites',
      registry: 'registry.example:5000/taco/candidates',
      'registry-username': 'bot',
      'registry-password': 's3cret',
      tag: 'rc-1',
      push: 'false',
    });
    expect(settings).toMatchObject({
      mode: 'kolla',
      engine: 'podman',
      context: path.join(workspace, 'wrapper'),
      images: ['^keystone', '^nova-'],
      tests: 'suites',
      tag: 'rc-1',
      push: false,
      registry: {
        host: 'registry.example:5000',
        namespace: 'taco/candidates',
        insecure: false,
        username: 'bot',
        password: 's3cret',
      },
    });
    expect(secrets).toEqual(['s3cret']);
  });

  it('pushes to the profile registry under its candidate namespace with credentials from env references', () => {
    const profile = [
      'registry:',
      '  url: registry.dev.example:5000/taco',
      '  candidate-namespace: candidates',
      '  username: { env: REG_USER }',
      '  password: { env: REG_PASS }',
      'kolla:',
      '  context: images',
      '',
    ].join('\n');
    const { settings, secrets } = settingsFor({}, { REG_USER: 'robot', REG_PASS: 'tok3n' }, profile);
    expect(settings.registry).toEqual({
      host: 'registry.dev.example:5000',
      namespace: 'taco/candidates',
      insecure: false,
      username: 'robot',
      password: 'tok3n',
    });
    expect(secrets).toEqual(['tok3n']);
  });

  it('names the input or profile key in every error', () => {
    expect(() => settingsFor({ mode: 'helm' })).toThrow(
      'Input \'mode\': expected one of kolla, dockerfile, got "helm"',
    );
    expect(() => settingsFor({ engine: 'containerd' })).toThrow(
      /Input 'engine': expected one of docker, podman/,
    );
    expect(() => settingsFor({ context: 'nowhere' })).toThrow(
      /Input 'context': the context directory .*nowhere does not exist/,
    );
    expect(() => settingsFor({ registry: 'registry example' })).toThrow(
      /Input 'registry': expected a registry reference host\[:port\]\[\/namespace\]/,
    );
    expect(() => settingsFor({ registry: 'registry.example/Taco' })).toThrow(UserError);
    expect(() => settingsFor({ tag: 'feature/x' })).toThrow(/Input 'tag': expected a valid image tag/);
    expect(() => settingsFor({ push: 'maybe' })).toThrow(/Input 'push': expected true or false/);
    expect(() => settingsFor({ 'registry-username': 'bot' })).toThrow(
      /give both 'registry-username' and 'registry-password'/,
    );
    expect(() => settingsFor({}, {}, 'kolla:\n  context: images\n')).toThrow(
      /Input 'registry' was not given and profile .* has no registry section/,
    );
    expect(
      settingsFor({ push: 'false' }, {}, 'kolla:\n  context: images\n').settings.registry,
    ).toBeUndefined();
  });

  it('names a registry variable the profile references that is not set, also for a registry that needs none', () => {
    const profile =
      'registry:\n  url: 127.0.0.1:5000/taco\n  username: {env: LAB_REG_USER}\n  password: {env: LAB_REG_PASS}\n';
    expect(() => settingsFor({}, { LAB_REG_USER: 'bot' }, profile)).toThrow(
      /p-\w+\.yaml:\d+:\d+ registry\.password: environment variable LAB_REG_PASS is not set/,
    );
    expect(() => settingsFor({}, { LAB_REG_PASS: 'pw' }, profile)).toThrow(
      /p-\w+\.yaml:\d+:\d+ registry\.username: environment variable LAB_REG_USER is not set/,
    );
    expect(
      settingsFor({}, { LAB_REG_USER: 'bot', LAB_REG_PASS: 'pw' }, profile).settings.registry,
    ).toMatchObject({
      username: 'bot',
      password: 'pw',
    });
  });

  it('reports bad profile values at their file and line', () => {
    expect(() => settingsFor({}, {}, 'kolla:\n  context: images\n  engine: rkt\n')).toThrow(
      /p-\w+\.yaml:3:\d+ kolla\.engine: .*docker or podman/,
    );
    expect(() => settingsFor({}, {}, 'kolla:\n  kolla-build:\n    threads: 0\n')).toThrow(
      /kolla\.kolla-build\.threads: .*positive integer/,
    );
    expect(() =>
      settingsFor({ push: 'false' }, {}, 'kolla:\n  context: images\n  test-timeout: soon\n'),
    ).toThrow(/kolla\.test-timeout/);
  });
});
