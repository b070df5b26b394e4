import { defineConfig } from 'vitest/config';

// Browser tests (`npm run test:browser`): Playwright driving Debian's Chromium against the demo app.
// Kept apart from `npm test` because they need a browser on the machine.
export default defineConfig({
  test: {
    include: ['test/browser/**/*.test.ts'],
    testTimeout: 120_000,
    hookTimeout: 120_000,
    reporters: ['default', ['json', { outputFile: 'test-results/browser.json' }]],
  },
});
