#!/usr/bin/env node
// taco-ci runs the bundled command line, dist/cli/index.js (built with the actions by
// scripts/build.js and kept equal to the sources by check-dist): it starts fast and needs no
// TypeScript transpiler. TACO_CI_FROM_SOURCE=1 runs the TypeScript sources through tsx (a
// devDependency) instead: the test suite sets it so that it tries the working tree, not the last build.
if (process.env.TACO_CI_FROM_SOURCE === '1') {
  const { register } = await import('tsx/esm/api');
  register();
  await import('../actions/cli/main.ts');
} else {
  await import('../dist/cli/index.js');
}
