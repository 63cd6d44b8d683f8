/**
 * A worker process for `bench/traces.ts`: a planwright worker with the zero-latency tool, set up as the CLI sets one
 * up (`runtimeTelemetry`, `createPlanwrightWorker`), so the OTEL_* variables it is started with decide whether it
 * traces. Given a bundle path, it runs that bundle (one under trial). Says `ready` over IPC once polling, and answers
 * `cpu` with its CPU time so far.
 * Arguments: the Temporal address, the task queue, the scripted model's URL, and optionally a bundle path.
 */
import { NativeConnection, Runtime } from '@temporalio/worker';
import { createModel } from '../src/llm/model.js';
import { runtimeTelemetry } from '../src/telemetry/runtime.js';
import { tracingFromEnv } from '../src/telemetry/tracing.js';
import { builtinTools } from '../src/tools/builtin.js';
import { createPlanwrightWorker } from '../src/worker.js';
import { DEMO_WORKSPACE } from '../src/demo/support-report.js';
import { benchTools } from './e2e-tools.js';

const [address, taskQueue, modelUrl, bundlePath] = process.argv.slice(2) as [string, string, string, string?];
Runtime.install(
  runtimeTelemetry({ log() {}, trace() {}, debug() {}, info() {}, warn() {}, error: (m: string) => console.error(m) }),
);
const connection = await NativeConnection.connect({ address });
const worker = await createPlanwrightWorker({
  connection,
  namespace: 'default',
  taskQueue,
  model: createModel({ apiKey: 'bench', baseURL: modelUrl, model: 'bench', timeoutMs: 10_000 }),
  tools: [...builtinTools, ...benchTools],
  workspace: DEMO_WORKSPACE,
  planCache: { get: async () => undefined, set: async () => {} },
  ...(bundlePath ? { workflowBundle: { codePath: bundlePath } } : {}),
});
// Asked for its CPU time (user and system, µs) before and after each run, so the bench can tell what the worker
// itself spent, whatever else the machine runs.
process.on('message', (m) => {
  if (m === 'cpu') process.send?.({ cpu: process.cpuUsage() });
});
process.send?.('ready');
await worker.run(); // until SIGTERM
// Then the spans it still holds are sent, and the process goes (the IPC channel would keep it up).
await tracingFromEnv()?.shutdown();
await connection.close();
process.exit(0);
