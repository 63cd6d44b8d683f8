import { defineConfig } from 'vitest/config';

/**
 * The console driven in headless Chromium (`npm run test:browser`): Debian's `chromium` package (or the browser
 * PLANWRIGHT_CHROMIUM names) with puppeteer-core, against `planwright serve`'s app on the embedded dev server.
 */
export default defineConfig({
  test: {
    include: ['test/browser/**/*.test.ts'],
    globalSetup: ['test/support/global-setup.ts'],
    pool: 'forks',
    testTimeout: 120_000,
    hookTimeout: 120_000,
    maxWorkers: 1,
  },
});
