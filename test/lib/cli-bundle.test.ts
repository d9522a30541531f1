/**
 * The bundled command line (dist/cli/index.js, what bin/taco-ci.js runs unless
 * TACO_CI_FROM_SOURCE=1) and the source maps beside the bundles. The other CLI tests run the
 * sources (vitest.config.ts sets TACO_CI_FROM_SOURCE); this one runs the last build, like the
 * action tests run dist/<action>/index.js.
 */
import { spawnSync } from 'node:child_process';
import { cpSync, existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { SourceMap } from 'node:module';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { sourceMappedStack } from '../../actions/lib/source-mapped-stack.js';
import { repoRoot } from '../harness/run-action.js';

const dirs: string[] = [];
afterAll(() => dirs.forEach((d) => rmSync(d, { recursive: true, force: true })));

beforeAll(() => {
  for (const bundle of ['cli', 'helm-rally'])
    if (!existsSync(path.join(repoRoot, 'dist', bundle, 'index.js')))
      throw new Error(`Build the bundle first: node scripts/build.js ${bundle}`);
});

function bundledCli(args: string[], cwd: string) {
  const env = { ...process.env };
  delete env.TACO_CI_FROM_SOURCE;
  return spawnSync(process.execPath, [path.join(cwd, 'bin', 'taco-ci.js'), ...args], {
    cwd,
    env,
    encoding: 'utf8',
    timeout: 60_000,
  });
}

describe('bundled taco-ci', () => {
  it('plans the pipelines from a copy without node_modules (no tsx, no other package needed)', () => {
    const copy = mkdtempSync(path.join(os.tmpdir(), 'taco-cli-bundle-'));
    dirs.push(copy);
    for (const part of ['bin', 'dist/cli', 'profiles', 'examples', 'package.json'])
      cpSync(path.join(repoRoot, part), path.join(copy, part), { recursive: true });
    const result = bundledCli(['plan'], copy);
    expect(result.stderr).toBe('');
    expect(result.status).toBe(0);
    const fromSource = spawnSync(process.execPath, [path.join(repoRoot, 'bin', 'taco-ci.js'), 'plan'], {
      cwd: repoRoot,
      env: { ...process.env, TACO_CI_FROM_SOURCE: '1' },
      encoding: 'utf8',
      timeout: 60_000,
    });
    expect(fromSource.status).toBe(0);
    expect(result.stdout.replaceAll(copy, '<root>')).toBe(fromSource.stdout.replaceAll(repoRoot, '<root>'));
  });
});

describe('source maps beside the bundles', () => {
  /** Where a string literal of the sources lands in the bundle, mapped back through index.js.map. */
  function originOf(bundle: string, literal: string): string | undefined {
    const code = readFileSync(path.join(repoRoot, 'dist', bundle, 'index.js'), 'utf8');
    const at = code.indexOf(literal);
    expect(at).toBeGreaterThan(-1);
    const before = code.slice(0, at).split('\n');
    const map = new SourceMap(
      JSON.parse(readFileSync(path.join(repoRoot, 'dist', bundle, 'index.js.map'), 'utf8')),
    );
    const entry = map.findEntry(before.length - 1, before.at(-1)!.length) as { originalSource?: string };
    return entry.originalSource && path.resolve(repoRoot, 'dist', bundle, entry.originalSource);
  }

  it('name the TypeScript file of a line of the bundle, relative to the bundle', () => {
    expect(originOf('helm-rally', 'could not delete namespace')).toBe(
      path.join(repoRoot, 'actions', 'helm-rally', 'namespace.ts'),
    );
    expect(originOf('cli', 'Unknown action')).toBe(path.join(repoRoot, 'actions', 'cli', 'registry.ts'));
  });

  it('are applied to the stack of a bug when it is reported, not registered at start', () => {
    for (const bundle of ['cli', 'helm-rally']) {
      const code = readFileSync(path.join(repoRoot, 'dist', bundle, 'index.js'), 'utf8');
      expect(code).not.toContain('sourcemap-register');
      expect(code.trimEnd().endsWith('//# sourceMappingURL=index.js.map')).toBe(true);
      expect(existsSync(path.join(repoRoot, 'dist', bundle, 'sourcemap-register.cjs'))).toBe(false);
    }
    const file = path.join(repoRoot, 'dist', 'helm-rally', 'index.js');
    const code = readFileSync(file, 'utf8');
    const before = code.slice(0, code.indexOf('could not delete namespace')).split('\n');
    const frame = `${file}:${before.length}:${before.at(-1)!.length + 1}`;
    const stack = `Error: boom\n    at f (file://${frame})\n    at g (node:internal/x:1:2)`;
    const mapped = sourceMappedStack(stack);
    const source = path.join(repoRoot, 'actions', 'helm-rally', 'namespace.ts');
    expect(mapped.split('\n')[1]).toMatch(/^ {4}at f \((.+):\d+:\d+\)$/);
    expect(mapped.split('\n')[1]).toContain(`at f (${source}:`);
    expect(mapped).toContain('at g (node:internal/x:1:2)');
  });
});
