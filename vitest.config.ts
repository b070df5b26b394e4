import { defineConfig } from 'vitest/config';

export default defineConfig({
  test: {
    include: ['test/**/*.test.ts'],
    exclude: ['test/browser/**', 'node_modules/**', 'dist/**'],
    testTimeout: 30_000,
    hookTimeout: 60_000,
    // The JSON report feeds the plain "N passed, N failed" line printed by .ci/run.
    reporters: ['default', ['json', { outputFile: 'test-results/vitest.json' }]],
  },
});
