import { defineConfig } from 'vitest/config';
import base from './vitest.config.js';

/**
 * The suite against a production-shaped Temporal (`npm run test:cluster`): Temporal's own server on PostgreSQL,
 * configured as docker-compose.yml configures it (the first build of the server takes about 10 minutes on 2 cores).
 * The end-to-end scenarios of test/e2e that involve the server's persistence, visibility and schedules run against
 * it unchanged, with large outputs kept in PostgreSQL; test/cluster adds fleets, kills and a server restart.
 */
export default defineConfig({
  resolve: base.resolve,
  test: {
    include: [
      'test/cluster/**/*.test.ts',
      'test/e2e/scenarios.test.ts',
      'test/e2e/schedules.test.ts',
      'test/e2e/cli-schedule.test.ts',
      'test/e2e/real-size.test.ts',
    ],
    globalSetup: ['test/cluster/support/global-setup.ts'],
    setupFiles: ['test/cluster/support/output-store.ts'],
    pool: 'forks',
    testTimeout: 180_000,
    hookTimeout: 1_800_000,
    maxWorkers: 2,
  },
});
