import { existsSync, mkdtempSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { pathToFileURL } from 'node:url';
import { describe, expect, it } from 'vitest';
import { ACTION_NAMES } from '../actions/cli/registry.js';
import { analyseAction } from './harness/action-contract.js';
import { readActionYaml, repoRoot, runAction } from './harness/run-action.js';

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
      const module = await import(
        /* @vite-ignore */ pathToFileURL(path.join(repoRoot, 'actions', action, 'main.ts')).href
      );
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

    it('exports exactly the declared input names, for the entry and taco-ci to check against', async () => {
      const module = await import(
        /* @vite-ignore */ pathToFileURL(path.join(repoRoot, 'actions', action, 'main.ts')).href
      );
      expect(Object.values(module.Inputs as Record<string, string>).sort()).toEqual(declaredInputs);
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

it('the analysis finds names through const objects and helpers, and flags what it cannot name', () => {
  const dir = mkdtempSync(path.join(os.tmpdir(), 'contract-'));
  writeFileSync(
    path.join(dir, 'main.ts'),
    [
      "export const Inputs = { gateTimeout: 'gate-timeout' } as const;",
      'const list = (name: string) => listInput(ctx, name);',
      "durationInput(ctx, Inputs.gateTimeout); list('refs'); list('exclude-refs');",
      "ctx.setOutput('changed', true); ctx.getInput(process.argv[2]);",
    ].join('\n'),
  );
  const use = analyseAction(dir);
  expect([...use.inputs].sort()).toEqual(['exclude-refs', 'gate-timeout', 'refs']);
  expect([...use.outputs]).toEqual(['changed']);
  expect(use.unresolved).toEqual(['main.ts:4 ctx.getInput(process.argv[2])']);
});

it('the bundle warns about an INPUT_* variable its action.yml does not declare', async () => {
  const run = await runAction('mirror-sync', {
    node: '24',
    inputs: { profile: path.join(os.tmpdir(), 'no-such-profile.yaml') },
    env: { INPUT_GATEE: 'true', INPUT_CACHE_DIR: '/tmp/x' },
  });
  expect(run.annotations.filter((a) => a.level === 'warning').map((a) => a.message)).toEqual([
    'INPUT_CACHE_DIR is set, but this action declares no such input: it is ignored (did you mean "cache-dir"?)',
    'INPUT_GATEE is set, but this action declares no such input: it is ignored (did you mean "gate"?)',
  ]);
  expect(run.exitCode).toBe(1);
});
