/**
 * Which packages each action's bundle carries, read from the import graph of its sources (what ncc
 * follows): only the actions that watch the cluster carry @kubernetes/client-node.
 */
import { existsSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { repoRoot } from '../harness/run-action.js';

/** Bare package names reached from an entry through value imports (type-only imports are erased). */
function packagesReached(entry: string): Set<string> {
  const packages = new Set<string>();
  const seen = new Set<string>();
  const queue = [entry];
  while (queue.length) {
    const file = queue.pop()!;
    if (seen.has(file)) continue;
    seen.add(file);
    const source = readFileSync(file, 'utf8');
    const specifiers =
      /^\s*(?:import|export)\s+(?!type\s)(?:[^'";]*?\sfrom\s+)?['"]([^'"]+)['"]|import\(\s*['"]([^'"]+)['"]\s*\)/gm;
    for (const match of source.matchAll(specifiers)) {
      const spec = match[1] ?? match[2];
      if (spec.startsWith('.')) {
        // A .ts source, or a generated .js module (the precompiled profile validator).
        const asTs = path.resolve(path.dirname(file), spec.replace(/\.js$/, '.ts'));
        const resolved = existsSync(asTs) ? asTs : path.resolve(path.dirname(file), spec);
        if (!existsSync(resolved)) throw new Error(`${file}: cannot resolve ${spec}`);
        queue.push(resolved);
      } else if (!spec.startsWith('node:')) {
        packages.add(spec.startsWith('@') ? spec.split('/').slice(0, 2).join('/') : spec.split('/')[0]);
      }
    }
  }
  return packages;
}

const reached = (action: string) => packagesReached(path.join(repoRoot, 'actions', action, 'index.ts'));

describe('bundle contents', () => {
  it('keeps @kubernetes/client-node out of helm-rally (one namespace delete is a plain request)', () => {
    const packages = reached('helm-rally');
    expect(packages.has('yaml')).toBe(true);
    expect(packages.has('@kubernetes/client-node')).toBe(false);
  });

  it('leaves the client to the actions that watch the cluster', () => {
    expect(reached('cookiemonster').has('@kubernetes/client-node')).toBe(true);
    expect(reached('deploy-armada').has('@kubernetes/client-node')).toBe(true);
  });
});
