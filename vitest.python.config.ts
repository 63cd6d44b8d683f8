import { fileURLToPath } from 'node:url';
import { defineConfig } from 'vitest/config';

/**
 * The Python client example against a run on the dev server (`npm run test:python`): it makes a virtual environment
 * and installs `temporalio` from PyPI the first time, so it is not part of `npm test`.
 */
export default defineConfig({
  resolve: {
    alias: [{ find: /^planwright$/, replacement: fileURLToPath(new URL('./src/index.ts', import.meta.url)) }],
  },
  test: {
    include: ['test/python/**/*.test.ts'],
    globalSetup: ['test/support/global-setup.ts'],
    pool: 'forks',
    testTimeout: 300_000,
    hookTimeout: 600_000,
    maxWorkers: 1,
  },
});
