import { fileURLToPath } from 'node:url';
import { defineConfig } from 'vitest/config';

/** `npm run test:consumer`: the packed package in fresh apps (slow: npm installs; run apart from the main suites). */
export default defineConfig({
  root: fileURLToPath(new URL('../..', import.meta.url)),
  test: {
    include: ['test/consumer/**/*.consumer.ts'],
    testTimeout: 600_000,
    hookTimeout: 600_000,
    // Installs and builds are CPU- and network-bound: three apps at a time.
    maxConcurrency: 3,
    reporters: ['default', ['json', { outputFile: 'test-results/vitest.json' }]],
  },
});
