/**
 * A worker process for `bench/traces.ts`: a planwright worker with the zero-latency tool, set up as the CLI sets one
 * up (`runtimeTelemetry`, `createPlanwrightWorker`), so the OTEL_* variables it is started with decide whether it
 * traces. Given a bundle path, it runs that bundle (the baseline's). Says `ready` over IPC once polling.
 * Arguments: the Temporal address, the task queue, the scripted model's URL, and optionally a bundle path.
 */
import { NativeConnection, Runtime } from '@temporalio/worker';
import { createModel } from '../src/llm/model.js';
import { runtimeTelemetry } from '../src/telemetry/runtime.js';
import { builtinTools } from '../src/tools/builtin.js';
import { createPlanwrightWorker } from '../src/worker.js';
import { DEMO_WORKSPACE } from '../src/demo/support-report.js';
import { benchTools } from './e2e-tools.js';

const [address, taskQueue, modelUrl, bundlePath] = process.argv.slice(2) as [string, string, string, string?];
Runtime.install(
  runtimeTelemetry({ log() {}, trace() {}, debug() {}, info() {}, warn() {}, error: (m: string) => console.error(m) }),
);
const worker = await createPlanwrightWorker({
  connection: await NativeConnection.connect({ address }),
  namespace: 'default',
  taskQueue,
  model: createModel({ apiKey: 'bench', baseURL: modelUrl, model: 'bench', timeoutMs: 10_000 }),
  tools: [...builtinTools, ...benchTools],
  workspace: DEMO_WORKSPACE,
  planCache: { get: async () => undefined, set: async () => {} },
  ...(bundlePath ? { workflowBundle: { codePath: bundlePath } } : {}),
});
process.send?.('ready');
await worker.run();
