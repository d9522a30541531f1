#!/usr/bin/env node
// taco-ci runs the bundled command line, dist/cli/index.js (built with the actions by
// scripts/build.js and kept equal to the sources by check-dist): it starts fast and needs no
// TypeScript transpiler. TACO_CI_FROM_SOURCE=1 runs the TypeScript sources through tsx (a
// devDependency) instead: the test suite sets it so that it tries the working tree, not the last build.
import { existsSync } from 'node:fs';

if (process.env.TACO_CI_FROM_SOURCE === '1') {
  const { register } = await import('tsx/esm/api');
  register();
  await import('../actions/cli/main.ts');
} else {
  const bundle = new URL('../dist/cli/index.js', import.meta.url);
  if (!existsSync(bundle)) {
    console.error(
      'taco-ci: dist/cli/index.js is missing: build it with `node scripts/build.js cli`, or run the sources with TACO_CI_FROM_SOURCE=1',
    );
    process.exit(2);
  }
  await import(bundle.href);
}
