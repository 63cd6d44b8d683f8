import { fileURLToPath } from 'node:url';
import { defineConfig } from 'vitest/config';

const source = (file: string) => fileURLToPath(new URL(file, import.meta.url));

export default defineConfig({
  // Tests written as a user writes them import the package by name; here it stands for the sources.
  resolve: {
    alias: [
      { find: /^planwright$/, replacement: source('./src/index.ts') },
      { find: /^planwright\/testing$/, replacement: source('./src/testing/index.ts') },
    ],
  },
  test: {
    include: ['test/**/*.test.ts', 'examples/**/*.test.ts'],
    // The real-model conformance suite (npm run test:model) and the packed package's (npm run test:package)
    // have their own commands, and so have the suite against a real Jaeger (npm run test:traces) and the one against
    // Temporal's own server on PostgreSQL (npm run test:cluster), which both need long builds, and the Python client's
    // (npm run test:python), which installs temporalio from PyPI.
    exclude: [
      'test/model/**',
      'test/package/**',
      'test/python/**',
      'test/traces/jaeger/**',
      'test/cluster/**',
      'node_modules/**',
    ],
    globalSetup: ['test/support/global-setup.ts'],
    pool: 'forks',
    testTimeout: 60_000,
    hookTimeout: 120_000,
    // Workers of one file share a Temporal server; files run side by side on their own task queues.
    maxWorkers: 2,
  },
});
