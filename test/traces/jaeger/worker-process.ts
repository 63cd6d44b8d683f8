/**
 * A planwright worker in a process of its own, set up as the CLI sets one up: the SDK runtime from
 * `runtimeTelemetry` (metrics and trace ids as the OTEL_* variables say), the worker from `createPlanwrightWorker`
 * (tracing as they say, the traced bundle from the cache). Its log lines go to stdout as JSON.
 * Arguments: the Temporal address, the task queue, the scripted model's URL.
 */
import { NativeConnection, Runtime, type LogLevel, type LogMetadata } from '@temporalio/worker';
import { DEMO_WORKSPACE } from '../../../src/demo/support-report.js';
import { createModel } from '../../../src/llm/model.js';
import { runtimeTelemetry } from '../../../src/telemetry/runtime.js';
import { builtinTools } from '../../../src/tools/builtin.js';
import { createPlanwrightWorker } from '../../../src/worker.js';
import { waitTool } from '../../support/e2e.js';

const [address, taskQueue, modelUrl] = process.argv.slice(2) as [string, string, string];
const line = (level: LogLevel, message: string, meta?: LogMetadata) =>
  process.stdout.write(`${JSON.stringify({ level, message, ...meta })}\n`);
Runtime.install(
  runtimeTelemetry({
    log: line,
    trace: () => {},
    debug: (m, meta) => line('DEBUG', m, meta),
    info: (m, meta) => line('INFO', m, meta),
    warn: (m, meta) => line('WARN', m, meta),
    error: (m, meta) => line('ERROR', m, meta),
  }),
);
const worker = await createPlanwrightWorker({
  connection: await NativeConnection.connect({ address }),
  namespace: 'default',
  taskQueue,
  model: createModel({ apiKey: 'scripted', baseURL: modelUrl, model: 'scripted', timeoutMs: 10_000 }),
  tools: [...builtinTools, waitTool],
  workspace: DEMO_WORKSPACE,
  planCache: { get: async () => undefined, set: async () => {} },
});
process.stdout.write('ready\n');
await worker.run();
