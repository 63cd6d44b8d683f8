import { defineConfig } from 'vitest/config';

/**
 * The conformance suite against a real model server (`npm run test:model`): llama.cpp's llama-server with
 * SmolLM2-135M-Instruct, provisioned offline and cached (the first build takes about 13 minutes on 2 cores).
 */
export default defineConfig({
  test: {
    include: ['test/model/**/*.test.ts'],
    globalSetup: ['test/support/global-setup.ts', 'test/model/model-server.setup.ts'],
    pool: 'forks',
    testTimeout: 600_000,
    hookTimeout: 1_800_000,
    maxWorkers: 1,
  },
});
