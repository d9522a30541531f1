#!/usr/bin/env node
// Bundles each action (or only those named on the command line) with ncc into
// dist/<action>/index.js: ESM, minified, with a licenses file. Usage: node scripts/build.js [action…]
// Each bundle is built aside and replaces the old one only when complete, so a failed build never
// leaves an action without its bundle. (ncc's --transpile-only would skip its type check, but then
// emits CommonJS-style top-level await errors for this ESM project, so it is not used.)
import { execFileSync } from 'node:child_process';
import { existsSync, mkdirSync, renameSync, rmSync } from 'node:fs';
import path from 'node:path';
import { actionNames, root } from './actions.js';

const wanted = process.argv.slice(2);
const names = wanted.length ? wanted : actionNames();
const ncc = path.join(root, 'node_modules', '@vercel', 'ncc', 'dist', 'ncc', 'cli.js');
const staging = path.join(root, '.tmp', 'build');
mkdirSync(staging, { recursive: true });
for (const name of names) {
  const entry = path.join('actions', name, 'index.ts');
  if (!existsSync(path.join(root, entry))) throw new Error(`${entry} does not exist`);
  const aside = path.join(staging, name);
  rmSync(aside, { recursive: true, force: true });
  process.stdout.write(`bundling ${name}\n`);
  execFileSync(
    process.execPath,
    [
      ncc,
      'build',
      entry,
      '-o',
      aside,
      '--minify',
      '--license',
      'licenses.txt',
      '--quiet',
      '--target',
      'es2022',
    ],
    { cwd: root, stdio: 'inherit' },
  );
  const out = path.join(root, 'dist', name);
  rmSync(out, { recursive: true, force: true });
  mkdirSync(path.dirname(out), { recursive: true });
  renameSync(aside, out);
}
