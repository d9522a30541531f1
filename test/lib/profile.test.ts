import path from 'node:path';
import { mkdirSync, mkdtempSync, readdirSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import { describe, expect, it } from 'vitest';
import {
  formatProblem,
  loadProfile,
  ProfileError,
  resolveProfilePath,
} from '../../actions/lib/profile/load.js';
import { deepMerge } from '../../actions/lib/profile/merge.js';
import { repoRoot } from '../harness/run-action.js';

const fixtures = path.join(repoRoot, 'test', 'fixtures', 'profiles');
const fixture = (name: string) => path.join(fixtures, name);

function problemsOf(file: string): string[] {
  try {
    loadProfile(file);
  } catch (err) {
    expect(err).toBeInstanceOf(ProfileError);
    return (err as ProfileError).problems.map((p) => formatProblem(p, repoRoot));
  }
  throw new Error(`${file} loaded without problems`);
}

describe('profiles', () => {
  it('merges extends base first, the derived file last', () => {
    const profile = loadProfile(fixture('child.yaml'));
    expect(profile.name).toBe('child');
    expect(profile.files.map((f) => path.basename(f))).toEqual(['base.yaml', 'child.yaml']);
    expect(profile.data.registry).toEqual({ url: '127.0.0.1:5000/taco', insecure: true });
    expect(profile.data.runners).toEqual({
      unit: ['self-hosted', 'base'],
      nightly: ['self-hosted', 'child'],
    });
    expect(profile.data).not.toHaveProperty('extends');
  });

  it('locates keys in the file that set them', () => {
    const profile = loadProfile(fixture('child.yaml'));
    expect(profile.locate(['registry', 'insecure'])).toMatchObject({
      file: fixture('base.yaml'),
      line: 4,
      column: 13,
    });
    expect(profile.locate(['runners', 'nightly'])).toMatchObject({ file: fixture('child.yaml'), line: 4 });
  });

  it('gives four distinct located errors for a wrong type, an unknown key, a missing key and a broken extends', () => {
    expect(problemsOf(fixture('broken.yaml'))).toEqual([
      'test/fixtures/profiles/broken.yaml:2:10 extends: extends "does-not-exist.yaml", but ' +
        `${fixture('does-not-exist.yaml')} does not exist and no built-in profile has that name`,
      'test/fixtures/profiles/broken.yaml:4:1 registry.url: required key is missing',
      'test/fixtures/profiles/broken.yaml:5:13 registry.insecure: expected a boolean, got "yes please"',
      'test/fixtures/profiles/broken.yaml:8:3 runners.nigthly: unknown key (did you mean "nightly"?)',
    ]);
  });

  it('reports an extends cycle at the extends key', () => {
    const problems = problemsOf(fixture('cycle-a.yaml'));
    expect(problems).toHaveLength(1);
    expect(problems[0]).toMatch(
      /cycle-b\.yaml:1:10 extends: extends "cycle-a\.yaml" forms a cycle \(cycle-a\.yaml → cycle-b\.yaml → cycle-a\.yaml\)/,
    );
  });

  it('refuses a secret value written into a profile', () => {
    expect(problemsOf(fixture('secret-value.yaml'))).toEqual([
      'test/fixtures/profiles/secret-value.yaml:3:3 registry.username: required key is missing: password is set, and one needs the other',
      'test/fixtures/profiles/secret-value.yaml:3:13 registry.password: expected a secret reference {env: VARIABLE_NAME} (secret values never go in a profile), got "hunter2"',
    ]);
  });

  it('reports YAML syntax errors with their position', () => {
    const problems = problemsOf(fixture('../profiles-bad-yaml/bad.yaml'));
    expect(problems).toEqual([
      expect.stringMatching(/bad\.yaml:3:1 YAML syntax: Flow sequence .* must be sufficiently indented/),
    ]);
  });

  it('finds built-in profiles by name and rejects unknown ones clearly', () => {
    expect(resolveProfilePath('dev', '/')).toBe(path.join(repoRoot, 'profiles', 'dev.yaml'));
    expect(resolveProfilePath(undefined, '/')).toBe(path.join(repoRoot, 'profiles', 'local.yaml'));
    expect(() => resolveProfilePath('nope', '/')).toThrow(/Profile "nope" not found/);
  });

  it("extends a built-in profile by name from a caller's folder, also from a file named like it", () => {
    const dir = mkdtempSync(path.join(os.tmpdir(), 'caller-profile-'));
    writeFileSync(
      path.join(dir, 'lab.yaml'),
      'extends: dev\nname: lab\nregistry:\n  url: lab.example:5000/taco\n',
    );
    mkdirSync(path.join(dir, 'mine'));
    writeFileSync(path.join(dir, 'mine', 'dev.yaml'), 'extends: dev\nname: my-dev\n');
    const lab = loadProfile(path.join(dir, 'lab.yaml'));
    expect(lab.files.at(-2)).toBe(path.join(repoRoot, 'profiles', 'dev.yaml'));
    expect(lab.data.registry).toMatchObject({
      url: 'lab.example:5000/taco',
      password: { env: 'TACO_REGISTRY_PASSWORD' },
    });
    const myDev = loadProfile(path.join(dir, 'mine', 'dev.yaml'));
    expect(myDev.name).toBe('my-dev');
    expect(myDev.files.at(-2)).toBe(path.join(repoRoot, 'profiles', 'dev.yaml'));
    writeFileSync(path.join(dir, 'typo.yaml'), 'extends: devv\n');
    expect(problemsOf(path.join(dir, 'typo.yaml'))[0]).toContain(
      `extends "devv", but ${path.join(dir, 'devv.yaml')} does not exist and no built-in profile has that name`,
    );
  });

  it('accepts every built-in profile', () => {
    const files = readdirSync(path.join(repoRoot, 'profiles')).filter((f) => f.endsWith('.yaml'));
    expect(files).toEqual(
      expect.arrayContaining(['local.yaml', 'dev.yaml', 'staging.yaml', 'production.yaml']),
    );
    for (const file of files) expect(() => loadProfile(path.join(repoRoot, 'profiles', file))).not.toThrow();
  });
});

describe('deepMerge', () => {
  it('merges mappings and replaces lists and scalars', () => {
    const base = { a: { b: 1, c: [1, 2] }, d: 'x' };
    const merged = deepMerge(base, { a: { c: [3] }, e: true });
    expect(merged).toEqual({ a: { b: 1, c: [3] }, d: 'x', e: true });
    expect(base).toEqual({ a: { b: 1, c: [1, 2] }, d: 'x' });
  });
});
