import { readFileSync } from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { parse } from 'yaml';
import { Inputs, Outputs } from '../../actions/kolla-bats/inputs.js';
import { plan } from '../../actions/kolla-bats/plan.js';
import { renderPlan } from '../../actions/lib/plan.js';
import { loadProfile } from '../../actions/lib/profile/load.js';
import { repoRoot } from '../harness/run-action.js';

const actionYml = parse(readFileSync(path.join(repoRoot, 'kolla-bats', 'action.yml'), 'utf8')) as {
  inputs: Record<string, { description: string; default?: string }>;
  outputs: Record<string, { description: string }>;
  runs: { using: string; main: string };
};

describe('kolla-bats/action.yml', () => {
  it('declares exactly the inputs and outputs the code uses, each described', () => {
    expect(Object.keys(actionYml.inputs).sort()).toEqual(Object.values(Inputs).sort());
    expect(Object.keys(actionYml.outputs).sort()).toEqual(Object.values(Outputs).sort());
    for (const [name, input] of Object.entries(actionYml.inputs)) {
      expect(input.description, name).toBeTruthy();
      expect(input.default, name).toBeDefined();
    }
    expect(actionYml.runs).toEqual({ using: 'node24', main: '../dist/kolla-bats/index.js' });
  });

  it('plans the stage for every built-in profile', async () => {
    const local = renderPlan(await plan(loadProfile('local')));
    expect(local).toContain('kolla-bats (dockerfile mode)');
    expect(local).toContain('Push images that passed to 127.0.0.1:5000/taco/<image>:<candidate tag>');
    const dev = renderPlan(await plan(loadProfile('dev')));
    expect(dev).toContain('Build with kolla-build (docker)');
    expect(dev).toContain('base: ubuntu:24.04');
    expect(dev).toContain('template overrides: overrides/template-overrides.j2');
    for (const name of ['staging', 'production'])
      expect(renderPlan(await plan(loadProfile(name)))).toContain('kolla-bats (kolla mode)');
  });
});
