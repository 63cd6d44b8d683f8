import { defineConfig } from 'vitest/config';

/**
 * The published package, checked as a user installs it (`npm run test:package`): builds and packs it, installs
 * the tarball offline into a scratch project and runs the README guide's test there. A few minutes, so not
 * part of `npm test`.
 */
export default defineConfig({
  test: {
    include: ['test/package/**/*.test.ts'],
    pool: 'forks',
    testTimeout: 600_000,
    hookTimeout: 1_200_000,
    maxWorkers: 1,
  },
});
