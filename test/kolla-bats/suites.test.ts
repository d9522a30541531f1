import { mkdirSync, mkdtempSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { selectDockerfileImages } from '../../actions/kolla-bats/images.js';
import { suiteFinder } from '../../actions/kolla-bats/suites.js';
import { UserError } from '../../actions/lib/errors.js';

const context = mkdtempSync(path.join(os.tmpdir(), 'kolla-bats-suites-'));
for (const file of [
  'tests/keystone.bats',
  'tests/nova-api.bats',
  'tests/common/smoke.bats',
  'per-image/horizon/a.bats',
  'per-image/horizon/b.bats',
  'per-image/horizon/notes.txt',
]) {
  mkdirSync(path.dirname(path.join(context, file)), { recursive: true });
  writeFileSync(path.join(context, file), '');
}
for (const image of ['keystone', 'horizon', 'Bad_Name']) {
  mkdirSync(path.join(context, image), { recursive: true });
  writeFileSync(path.join(context, image, 'Dockerfile'), 'FROM scratch\n');
}
mkdirSync(path.join(context, 'no-dockerfile'));
const at = (...parts: string[]) => path.join(context, ...parts);

describe('bats suites per image', () => {
  it('reads a directory as <dir>/<image>.bats', () => {
    const finder = suiteFinder('tests', context, 'tests');
    expect(finder.suitesFor('keystone')).toEqual([at('tests', 'keystone.bats')]);
    expect(finder.suitesFor('glance')).toEqual([]);
  });

  it('substitutes {image} and expands globs', () => {
    expect(suiteFinder('per-image/{image}/*.bats', context, 'tests').suitesFor('horizon')).toEqual([
      at('per-image', 'horizon', 'a.bats'),
      at('per-image', 'horizon', 'b.bats'),
    ]);
    expect(suiteFinder('tests/{image}.bats', context, 'tests').suitesFor('nova-api')).toEqual([
      at('tests', 'nova-api.bats'),
    ]);
    expect(suiteFinder('tests/**/*.bats', context, 'tests').suitesFor('anything')).toHaveLength(3);
  });

  it('fails when the fixed directory of the pattern is missing', () => {
    expect(() => suiteFinder('suites/{image}.bats', context, "Input 'tests'")).toThrow(UserError);
    expect(() => suiteFinder('suites/{image}.bats', context, "Input 'tests'")).toThrow(
      /Input 'tests': the tests directory .*suites does not exist/,
    );
  });
});

describe('dockerfile images', () => {
  it('selects folders with a Dockerfile and rejects unknown or invalid names', () => {
    expect(selectDockerfileImages(context, ['keystone'], 'images')).toEqual(['keystone']);
    expect(() => selectDockerfileImages(context, ['glance'], "Input 'images'")).toThrow(
      /unknown image "glance": no .*glance\/Dockerfile\. Images in .*: Bad_Name, horizon, keystone/,
    );
    expect(() => selectDockerfileImages(context, [], "Input 'images'")).toThrow(
      /"Bad_Name" cannot be an image name/,
    );
    expect(selectDockerfileImages(context, ['horizon', 'keystone', 'horizon'], 'images')).toEqual([
      'horizon',
      'keystone',
    ]);
  });
});
