#!/usr/bin/env node
// Rebuilds every bundle and fails when dist/ differs from what is committed.
import { execFileSync } from 'node:child_process';
import { root } from './actions.js';

execFileSync(process.execPath, ['scripts/build.js'], { cwd: root, stdio: 'inherit' });
const status = execFileSync('git', ['status', '--porcelain', '--', 'dist'], { cwd: root, encoding: 'utf8' });
if (status.trim()) {
  console.error('dist/ is not what the source builds. Run `npm run build` and commit dist/. Differences:');
  console.error(status);
  console.error(execFileSync('git', ['diff', '--stat', '--', 'dist'], { cwd: root, encoding: 'utf8' }));
  process.exit(1);
}
console.log('dist/ matches the source.');
