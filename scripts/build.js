#!/usr/bin/env node
// Bundles each action (or only those named on the command line) with ncc into
// dist/<action>/index.js: ESM, minified, with a licenses file. Usage: node scripts/build.js [action…]
import { execFileSync } from 'node:child_process';
import { existsSync, rmSync } from 'node:fs';
import path from 'node:path';
import { actionNames, root } from './actions.js';

const wanted = process.argv.slice(2);
const names = wanted.length ? wanted : actionNames();
const ncc = path.join(root, 'node_modules', '@vercel', 'ncc', 'dist', 'ncc', 'cli.js');
for (const name of names) {
  const entry = path.join('actions', name, 'index.ts');
  if (!existsSync(path.join(root, entry))) throw new Error(`${entry} does not exist`);
  const out = path.join('dist', name);
  rmSync(path.join(root, out), { recursive: true, force: true });
  process.stdout.write(`bundling ${name}\n`);
  execFileSync(
    process.execPath,
    [
      ncc,
      'build',
      entry,
      '-o',
      out,
      '--minify',
      '--license',
      'licenses.txt',
      '--quiet',
      '--target',
      'es2022',
    ],
    {
      cwd: root,
      stdio: 'inherit',
    },
  );
}
