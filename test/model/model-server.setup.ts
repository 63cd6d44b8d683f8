/**
 * Once per `npm run test:model`: provision llama-server and SmolLM2 (building the server the first time,
 * with progress) and start the server for every test file.
 */
import type { TestProject } from 'vitest/node';
import { provisionModelServer } from './llama/provision.js';
import { startLlamaServer, type RunningModelServer } from './llama/server.js';

declare module 'vitest' {
  export interface ProvidedContext {
    modelServerUrl: string;
    modelName: string;
  }
}

let server: RunningModelServer | undefined;

export async function setup(project: TestProject): Promise<void> {
  const { binary, model } = await provisionModelServer();
  server = await startLlamaServer({ binary, model });
  process.stderr.write(
    `[planwright] llama-server with ${server.model} at ${server.url} (started in ${server.startMs} ms)\n`,
  );
  project.provide('modelServerUrl', server.url);
  project.provide('modelName', server.model);
}

export async function teardown(): Promise<void> {
  await server?.stop();
}
