import { mkdirSync, mkdtempSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { taco } from '../support/taco-cli.js';

describe('taco-ci', () => {
  it('plans the pipelines of the built-in local profile by default', () => {
    const { code, stdout } = taco(['plan']);
    expect(code).toBe(0);
    expect(stdout).toMatch(/^Plan for profile local \(profiles\/local\.yaml\)/);
    for (const pipeline of ['mirror', 'unit', 'nightly', 'promote'])
      expect(stdout).toContain(`${pipeline} pipeline`);
  });

  it('prints the plan as JSON', () => {
    const { code, stdout } = taco(['plan', '--json', '--pipeline', 'promote']);
    expect(code).toBe(0);
    const plan = JSON.parse(stdout);
    expect(plan.children.map((c: { title: string }) => c.title)).toEqual([
      'promote pipeline — workflow_dispatch in the release environment (required reviewers)',
    ]);
  });

  it('validate exits 2 with one located line per problem', () => {
    const { code, stderr } = taco([
      'validate',
      '--no-workflows',
      '--profile',
      'test/fixtures/profiles/broken.yaml',
    ]);
    expect(code).toBe(2);
    const lines = stderr.trim().split('\n');
    expect(lines.slice(0, 4).map((l) => l.split(' ')[0])).toEqual([
      'test/fixtures/profiles/broken.yaml:2:10',
      'test/fixtures/profiles/broken.yaml:4:1',
      'test/fixtures/profiles/broken.yaml:5:13',
      'test/fixtures/profiles/broken.yaml:8:3',
    ]);
    expect(lines[4]).toBe('4 problems found.');
  });

  it('validate passes on the built-in profiles', () => {
    const { code, stdout } = taco(['validate', '--no-workflows']);
    expect(code).toBe(0);
    expect(stdout).toContain('Checked:\n  profile profiles/dev.yaml: schema, extends, secret references\n');
    expect(stdout).toContain('  Armada manifest examples/armada/openstack.yaml\n');
    expect(stdout).toMatch(/All valid\.\n$/);
  });

  it('validate finds missing manifest files and a registry user without a password', () => {
    const dir = mkdtempSync(path.join(os.tmpdir(), 'validate-'));
    writeFileSync(
      path.join(dir, 'lab.yaml'),
      [
        'extends: local',
        'armada:',
        '  manifest: manifests/site.yaml',
        'promote:',
        '  manifest: manifests/promote.yaml',
        '',
      ].join('\n'),
    );
    writeFileSync(
      path.join(dir, 'user.yaml'),
      'registry:\n  url: 127.0.0.1:5000/taco\n  username: {env: LAB_REG_USER}\n',
    );
    const args = ['validate', '--no-workflows', '--profile', 'lab.yaml', '--profile', 'user.yaml'];
    const { code, stderr } = taco(args, { cwd: dir });
    expect(code).toBe(2);
    expect(stderr.trim().split('\n')).toEqual([
      expect.stringMatching(
        /^lab\.yaml:3:13 armada\.manifest: Armada manifest "manifests\/site\.yaml" not found/,
      ),
      expect.stringMatching(
        /^lab\.yaml:5:13 promote\.manifest: Armada manifest "manifests\/promote\.yaml" not found/,
      ),
      'user.yaml:3:3 registry.password: required key is missing: username is set, and one needs the other',
      '3 problems found.',
    ]);
  });

  it('history refuses a ledger file that does not exist and a limit that is not a count', () => {
    expect(taco(['history', '--ledger', path.join(os.tmpdir(), 'no-such-ledger.jsonl')])).toMatchObject({
      code: 2,
      stderr: expect.stringContaining('no-such-ledger.jsonl does not exist'),
    });
    expect(taco(['history', '-n', 'abc'])).toMatchObject({
      code: 2,
      stderr: expect.stringContaining('expected a positive whole number, got "abc"'),
    });
  });

  it('exits 2 on an unknown action, a bad --input and an unknown command', () => {
    expect(taco(['run', 'nope'])).toMatchObject({
      code: 2,
      stderr: expect.stringContaining('Unknown action "nope"'),
    });
    expect(taco(['run', 'tempest', '--input', 'novalue'])).toMatchObject({
      code: 2,
      stderr: expect.stringContaining('expected name=value'),
    });
    expect(taco(['frobnicate']).code).toBe(2);
    expect(taco(['plan', '--profile', 'nope'])).toMatchObject({
      code: 2,
      stderr: expect.stringContaining('Profile "nope" not found'),
    });
  });

  it('refuses an input the action does not declare, with the likely one, before running anything', () => {
    const { code, stdout, stderr } = taco([
      'run',
      'mirror-sync',
      '--input',
      'gatee=true',
      '--input',
      'Refs=master',
    ]);
    expect(code).toBe(2);
    expect(stderr).toContain(
      'mirror-sync declares no input "gatee" (did you mean "gate"?). Its inputs: allow-force, ',
    );
    expect(stdout).toBe('');
  });

  it('exits 2 naming a registry variable the profile references that is not set', () => {
    const dir = mkdtempSync(path.join(os.tmpdir(), 'lab-profile-'));
    mkdirSync(path.join(dir, 'images'));
    mkdirSync(path.join(dir, 'tests'));
    writeFileSync(
      path.join(dir, 'lab.yaml'),
      'extends: local\nregistry:\n  url: 127.0.0.1:5000/taco\n  username: {env: LAB_REG_USER}\n  password: {env: LAB_REG_PASS}\n',
    );
    // A real run (it pushes): a dry run reads no registry credential at all.
    const { code, stderr } = taco(['run', 'kolla-bats', '--profile', 'lab.yaml'], {
      cwd: dir,
      env: { LAB_REG_USER: 'bot' },
    });
    expect(code).toBe(2);
    expect(stderr).toContain('registry.password: environment variable LAB_REG_PASS is not set');
  });

  it('prints the artifact history of a ledger, filtered by candidate', () => {
    const ledger = path.join(mkdtempSync(path.join(os.tmpdir(), 'ledger-')), 'history.jsonl');
    const entry = (candidate: string, kind: string, status: string, version?: string) =>
      JSON.stringify({
        schema: 1,
        kind,
        time: '2026-11-24T22:00:00.000Z',
        status,
        candidate,
        ...(version ? { version } : {}),
        images: [
          { name: 'keystone', ref: '127.0.0.1:5000/taco/keystone:c1', digest: `sha256:${'a'.repeat(64)}` },
        ],
      });
    writeFileSync(
      ledger,
      [entry('nightly-20261124', 'nightly', 'passed'), entry('nightly-20261125', 'nightly', 'failed')].join(
        '\n',
      ) + '\n',
    );
    const json = taco(['history', '--ledger', ledger, '--candidate', 'nightly-20261124', '--format', 'json']);
    expect(json.code).toBe(0);
    expect(
      JSON.parse(json.stdout).map((e: { candidate: string; status: string }) => [e.candidate, e.status]),
    ).toEqual([['nightly-20261124', 'passed']]);
    const table = taco(['history', '--ledger', ledger]);
    expect(table.stdout).toContain('nightly-20261125');
    expect(table.stdout).toContain('keystone@aaaaaaaaaaaa');
    // entries written before stage verdicts, and failed ones, say why they cannot promote
    expect(table.stdout).toContain('no: it recorded no stage verdicts');
    expect(table.stdout).toContain('no: the run failed, it recorded no stage verdicts');
    const staged = (chaos: string) =>
      JSON.stringify({
        ...JSON.parse(entry('nightly-20261126', 'nightly', 'passed')),
        stages: { deploy: 'passed', tempest: 'passed', chaos },
        release: { ref: '127.0.0.1:5000/taco/taco-release:c1', digest: `sha256:${'b'.repeat(64)}` },
        charts: [
          {
            name: 'glance',
            version: '0.1.0',
            ref: '127.0.0.1:5000/taco/charts/glance:0.1.0',
            digest: `sha256:${'c'.repeat(64)}`,
          },
        ],
      });
    writeFileSync(ledger, `${staged('skipped')}\n${staged('passed')}\n`);
    const stages = taco(['history', '--ledger', ledger]).stdout;
    expect(stages).toContain('deploy passed, tempest passed, chaos skipped');
    expect(stages).toContain('release@bbbbbbbbbbbb keystone@aaaaaaaaaaaa chart:glance:0.1.0@cccccccccccc');
    expect(stages).toContain('no: chaos skipped');
    expect(stages).toMatch(/chaos passed\s+release@\S+ keystone@\S+ chart:glance:\S+\s+yes/);
    writeFileSync(ledger, 'not json\n');
    expect(taco(['history', '--ledger', ledger]).code).toBe(2);
  });

  it('has --help on every command', () => {
    for (const command of [[], ['run'], ['validate'], ['plan'], ['history']]) {
      const { code, stdout } = taco([...command, '--help']);
      expect(code).toBe(0);
      expect(stdout).toMatch(/^Usage: taco-ci/);
    }
  });
});
