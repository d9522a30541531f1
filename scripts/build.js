#!/usr/bin/env node
// Bundles each action (or only those named on the command line) with ncc into
// dist/<action>/index.js, and the taco-ci command line (actions/cli/main.ts) into dist/cli/index.js:
// ESM, minified, with a licenses file and a source map (index.js.map). The map is not registered
// at start (ncc's sourcemap-register parses it whenever any library formats a stack, ~0.1 s a run):
// actions/lib/source-mapped-stack.ts applies it to the stack of a bug when one is reported.
// Usage: node scripts/build.js [action… | cli]
// Each bundle is built aside and replaces the old one only when complete, so a failed build never
// leaves an action without its bundle. ncc is mostly single-threaded: one build per core at a time.
// (ncc's --transpile-only would skip its type check, but then it mistakes this ESM project for
// CommonJS and fails on top-level await, so it is not used.)
import { spawn } from 'node:child_process';
import { existsSync, mkdirSync, readdirSync, readFileSync, renameSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { bundleNames, root } from './actions.js';

const wanted = process.argv.slice(2);
const names = wanted.length ? wanted : bundleNames();
const ncc = path.join(root, 'node_modules', '@vercel', 'ncc', 'dist', 'ncc', 'cli.js');
const staging = path.join(root, '.tmp', 'build');
mkdirSync(staging, { recursive: true });

function bundle(name) {
  const entry = path.join('actions', name, name === 'cli' ? 'main.ts' : 'index.ts');
  if (!existsSync(path.join(root, entry))) throw new Error(`${entry} does not exist`);
  const aside = path.join(staging, name);
  rmSync(aside, { recursive: true, force: true });
  process.stdout.write(`bundling ${name}\n`);
  const args = [
    ncc,
    'build',
    entry,
    '-o',
    aside,
    '--minify',
    '--source-map',
    '--no-source-map-register',
    '--license',
    'licenses.txt',
    '--quiet',
    '--target',
    'es2022',
  ];
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, args, { cwd: root, stdio: 'inherit' });
    child.on('error', reject);
    child.on('close', (code) => {
      if (code !== 0) return reject(new Error(`bundling ${name} failed (ncc exit ${code})`));
      slimSourceMaps(aside);
      const out = path.join(root, 'dist', name);
      rmSync(out, { recursive: true, force: true });
      mkdirSync(path.dirname(out), { recursive: true });
      renameSync(aside, out);
      resolve();
    });
  });
}

/**
 * A stack trace needs the mappings and the source file names, not the sources themselves: dropping
 * sourcesContent keeps each map a fraction of its size. ncc names each source relative to the
 * repository behind one `../`; from dist/<bundle>/ that is `../../`, so a trace names
 * actions/<action>/<file>.ts of the checkout. Relative names keep the maps the same on every
 * machine; check-dist verifies it.
 */
function slimSourceMaps(dir) {
  for (const file of readdirSync(dir).filter((f) => f.endsWith('.map'))) {
    const map = JSON.parse(readFileSync(path.join(dir, file), 'utf8'));
    delete map.sourcesContent;
    map.sources = map.sources.map((source) => source.replace(/^\.\.\//, '../../'));
    writeFileSync(path.join(dir, file), JSON.stringify(map));
  }
}

const queue = [...names];
const workers = Array.from({ length: Math.min(os.availableParallelism(), queue.length) }, async () => {
  while (queue.length) await bundle(queue.shift());
});
try {
  await Promise.all(workers);
} catch (err) {
  console.error(err.message);
  process.exit(1);
}
