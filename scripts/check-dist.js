#!/usr/bin/env node
// Rebuilds every bundle and fails when dist/ differs from what is committed, or when a source map
// names a file by an absolute path (it would differ from one machine to the next).
import { execFileSync } from 'node:child_process';
import { readdirSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { bundleNames, root } from './actions.js';

execFileSync(process.execPath, ['scripts/build.js'], { cwd: root, stdio: 'inherit' });
const status = execFileSync('git', ['status', '--porcelain', '--', 'dist'], { cwd: root, encoding: 'utf8' });
if (status.trim()) {
  console.error('dist/ is not what the source builds. Run `npm run build` and commit dist/. Differences:');
  console.error(status);
  console.error(execFileSync('git', ['diff', '--stat', '--', 'dist'], { cwd: root, encoding: 'utf8' }));
  process.exit(1);
}
console.log('dist/ matches the source.');

const absolute = [];
for (const name of bundleNames()) {
  const dir = path.join(root, 'dist', name);
  for (const file of readdirSync(dir).filter((f) => f.endsWith('.map'))) {
    const { sources } = JSON.parse(readFileSync(path.join(dir, file), 'utf8'));
    const bad = sources.filter(
      (source) => path.isAbsolute(source.replace(/^webpack:\/\/[^/]*\//, '')) || source.includes(root),
    );
    if (bad.length) absolute.push(`dist/${name}/${file}: ${bad.slice(0, 3).join(', ')}`);
  }
}
if (absolute.length) {
  console.error(`Source maps with absolute paths (not reproducible):\n${absolute.join('\n')}`);
  process.exit(1);
}
console.log('Source maps name files relative to the repository.');
