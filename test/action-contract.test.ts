import { existsSync } from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { ACTION_NAMES } from '../actions/cli/registry.js';
import { analyseAction } from './harness/action-contract.js';
import { readActionYaml, repoRoot } from './harness/run-action.js';

describe.each(ACTION_NAMES.filter((name) => existsSync(path.join(repoRoot, name, 'action.yml'))))(
  '%s/action.yml',
  (action) => {
    const meta = readActionYaml(action);
    const use = analyseAction(path.join(repoRoot, 'actions', action));
    const declaredInputs = Object.keys(meta.inputs ?? {}).sort();
    const declaredOutputs = Object.keys(meta.outputs ?? {}).sort();

    it('runs on node24 from its bundle, with a post step only when the code has one', async () => {
      expect(meta.runs.using).toBe('node24');
      expect(meta.runs.main).toBe(`../dist/${action}/index.js`);
      const module = await import(`../actions/${action}/main.js`);
      expect(typeof module.run).toBe('function');
      if (meta.runs.post) expect(typeof module.post).toBe('function');
      if (typeof module.post === 'function') expect(meta.runs.post).toBe(`../dist/${action}/index.js`);
    });

    it('names every input and output statically', () => {
      expect(use.unresolved).toEqual([]);
    });

    it('reads every declared input and no undeclared one', () => {
      expect([...use.inputs].sort()).toEqual(declaredInputs);
    });

    it('sets every declared output and no undeclared one', () => {
      expect([...use.outputs].sort()).toEqual(declaredOutputs);
    });

    it('describes every input and output', () => {
      for (const [name, spec] of Object.entries(meta.inputs ?? {})) {
        expect((spec as { description?: string }).description, `input ${name}`).toBeTruthy();
      }
      for (const [name, spec] of Object.entries(meta.outputs ?? {})) {
        expect((spec as { description?: string }).description, `output ${name}`).toBeTruthy();
      }
    });
  },
);

it('every action of the registry has its action.yml', () => {
  expect(ACTION_NAMES.filter((name) => !existsSync(path.join(repoRoot, name, 'action.yml')))).toEqual([]);
});
