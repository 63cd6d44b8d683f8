import { defineConfig } from 'vitest/config';

/**
 * The trace suite against a real Jaeger (`npm run test:traces`): Jaeger v1.75.0 built from the Go module proxy and
 * cached (the first build takes about 15 minutes on 2 cores), with the dev server of the main suite.
 */
export default defineConfig({
  test: {
    include: ['test/traces/jaeger/**/*.test.ts'],
    globalSetup: ['test/support/global-setup.ts', 'test/traces/jaeger/jaeger.setup.ts'],
    pool: 'forks',
    testTimeout: 180_000,
    hookTimeout: 1_800_000,
    maxWorkers: 1,
  },
});
