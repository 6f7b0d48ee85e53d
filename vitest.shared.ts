import { defineConfig } from 'vitest/config';

// One test configuration for every package and app; each vitest.config.ts re-exports it.
export default defineConfig({
  test: {
    include: ['test/**/*.test.ts'],
    testTimeout: 60_000,
    hookTimeout: 60_000,
    pool: 'forks',
    passWithNoTests: true,
    reporters: ['default', 'json'],
    outputFile: { json: '.vitest/results.json' },
  },
});
