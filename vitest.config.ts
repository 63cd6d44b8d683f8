import { defineConfig } from 'vitest/config';

export default defineConfig({
  test: {
    include: ['test/**/*.test.ts'],
    // The real-model conformance suite has its own command (npm run test:model) and setup.
    exclude: ['test/model/**', 'node_modules/**'],
    globalSetup: ['test/support/global-setup.ts'],
    pool: 'forks',
    testTimeout: 60_000,
    hookTimeout: 120_000,
    // Workers of one file share a Temporal server; files run side by side on their own task queues.
    maxWorkers: 2,
  },
});
