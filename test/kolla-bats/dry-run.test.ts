import { mkdirSync, rmSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { run } from '../../actions/kolla-bats/main.js';
import { terminalContext } from '../../actions/lib/terminal-context.js';
import { makeWorkspace } from './workspace.js';

const workspace = makeWorkspace();
afterAll(() => rmSync(workspace, { recursive: true, force: true }));

function context(inputs: Record<string, string>) {
  const lines: string[] = [];
  // No engine and no registry exist for these runs: a dry run must not need them.
  const env = {
    ...process.env,
    DOCKER_HOST: `unix://${path.join(workspace, 'absent.sock')}`,
    PATH: '/nonexistent',
  };
  const ctx = terminalContext({
    inputs: { ...inputs, 'dry-run': 'true' },
    env,
    signal: new AbortController().signal,
    write: (t) => lines.push(t),
    workspace,
    tempDir: workspace,
  });
  return { ctx, output: () => lines.join('') };
}

describe('kolla-bats dry run', () => {
  it('validates and lists what it would build, without an engine or registry', async () => {
    const { ctx, output } = context({
      profile: 'local',
      context: 'images',
      images: 'keystone,horizon',
      tag: 'dry-1',
    });
    await run(ctx);
    expect(output()).toContain(
      `Would build keystone as 127.0.0.1:5000/taco/keystone:dry-1 and test it with ${path.join(workspace, 'images', 'tests', 'keystone.bats')}`,
    );
    // nothing was built or tested: the plan is `planned`, never `images` (the images that passed)
    expect(JSON.parse(ctx.outputs.images)).toEqual([]);
    expect(ctx.outputs.passed).toBe('false');
    expect(JSON.parse(ctx.outputs.planned)).toEqual([
      { name: 'keystone', ref: '127.0.0.1:5000/taco/keystone:dry-1', status: 'planned' },
      { name: 'horizon', ref: '127.0.0.1:5000/taco/horizon:dry-1', status: 'planned' },
    ]);
  });

  it('still rejects bad input', async () => {
    const { ctx } = context({ profile: 'local', context: 'images', images: 'cinder', tag: 'dry-1' });
    await expect(run(ctx)).rejects.toThrow(/unknown image "cinder"/);
  });

  it('shows the kolla-build command line and generated config in kolla mode', async () => {
    mkdirSync(path.join(workspace, 'wrapper', 'tests'), { recursive: true });
    writeFileSync(path.join(workspace, 'wrapper', 'kolla-build.conf'), '[DEFAULT]\n');
    const profile = path.join(workspace, 'kolla.yaml');
    writeFileSync(
      profile,
      'registry: {url: 127.0.0.1:5000/taco}\nkolla:\n  mode: kolla\n  context: wrapper\n  kolla-build: {config-file: kolla-build.conf, base: rocky, threads: 2}\n',
    );
    const { ctx, output } = context({ profile, images: '^keystone$', tag: 'dry-2' });
    await run(ctx);
    expect(output()).toMatch(
      /Would run in \S+\/wrapper: kolla-build --config-file \S+\/wrapper\/kolla-build\.conf --config-file \S+\/kolla-build\.conf \^keystone\$/,
    );
    expect(output()).toContain('base = rocky\n');
    expect(output()).toContain('namespace = taco\n');
    const missing = context({ profile, images: '^keystone$', tag: 'dry-2', context: 'images' });
    await expect(run(missing.ctx)).rejects.toThrow(
      /Profile kolla\.kolla-build\.config-file: .*images\/kolla-build\.conf does not exist/,
    );
  });
});
