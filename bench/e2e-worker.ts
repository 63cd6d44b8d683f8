/**
 * A worker process for `bench/e2e.ts`: `planwright` (the planwright worker with the benchmark's scripted model) or
 * `bare` (the baseline workflow of bench/bare/workflows.ts), with the same tools; or `demo`, the demo as
 * `planwright demo` runs it: a planwright worker, its scripted model and the client that starts the run, in one
 * process. It says `ready` over IPC once polling, and answers `measure` with its own CPU time and memory, so the
 * benchmark sees the worker alone. A `demo` process answers `{ demo: workflowId }` with the time a demo run took,
 * started as `planwright demo` starts it (eagerly, on the worker's connection), and `script` (its model gets the
 * demo's answers for a run the benchmark starts from its own process) with `scripted`.
 */
import { Context } from '@temporalio/activity';
import { Client } from '@temporalio/client';
import { NativeConnection, Runtime, Worker, makeTelemetryFilterString } from '@temporalio/worker';
import { createActivities } from '../activities/index.js';
import { createModel } from '../src/llm/model.js';
import { builtinTools } from '../src/tools/builtin.js';
import type { Tool, ToolContext } from '../src/tools/define.js';
import { createPlanwrightWorker } from '../src/worker.js';
import { DEMO_WORKSPACE, demoScript } from '../src/demo/support-report.js';
import { startScriptedModel } from '../src/testing/scripted-model.js';
import { timedDemoRun } from './demo-run.js';
import { benchTools } from './e2e-tools.js';

const [kind, address, taskQueue, bundlePath, benchModelUrl] = process.argv.slice(2) as [
  string,
  string,
  string,
  string,
  string,
];

Runtime.install({
  logger: { log() {}, trace() {}, debug() {}, info() {}, warn() {}, error: (m: string) => console.error(m) },
  telemetryOptions: { logging: { filter: makeTelemetryFilterString({ core: 'ERROR' }), forward: {} } },
});

const tools: Tool[] = [...builtinTools, ...benchTools];
// The demo's model lives in its process, as `planwright demo` has it; the others use the benchmark's.
const demoModel = kind === 'demo' ? await startScriptedModel() : undefined;
const modelUrl = demoModel?.url ?? benchModelUrl;
const connection = await NativeConnection.connect({ address });
const worker =
  kind === 'bare'
    ? await Worker.create({
        connection,
        taskQueue,
        workflowBundle: { codePath: bundlePath },
        // The tool calls alone (bareDag), and planwright's own activities (barePlanAndExecute).
        activities: {
          callTool: (name: string, args: unknown) => callTool(name, args),
          ...createActivities({
            model: createModel({ apiKey: 'scripted', baseURL: modelUrl, model: 'scripted', timeoutMs: 10_000 }),
            tools,
            workspace: DEMO_WORKSPACE,
          }),
        },
      })
    : await createPlanwrightWorker({
        connection,
        namespace: 'default',
        taskQueue,
        model: createModel({ apiKey: 'scripted', baseURL: modelUrl, model: 'scripted', timeoutMs: 10_000 }),
        tools,
        workspace: DEMO_WORKSPACE,
        planCache: { get: async () => undefined, set: async () => {} },
        workflowBundle: { codePath: bundlePath },
      });

/** The baseline's activity: the tool itself, with the context a planwright tool gets. */
async function callTool(name: string, args: unknown): Promise<unknown> {
  const tool = tools.find((t) => t.name === name) as Tool;
  const activity = Context.current();
  const ctx: ToolContext = {
    signal: activity.cancellationSignal,
    heartbeat: (details) => activity.heartbeat(details),
    log: activity.log,
    workspace: DEMO_WORKSPACE,
  };
  return tool.run(tool.input.parse(args), ctx);
}

const client = new Client({ connection, namespace: 'default' });

const stopped = new Promise<void>((resolve) => {
  process.on('disconnect', resolve);
  process.on('message', (message) => {
    if (message === 'stop') return resolve();
    if (message === 'script' && demoModel) {
      demoModel.enqueue(demoScript());
      process.send?.('scripted');
      return;
    }
    if (typeof message === 'object' && message && 'demo' in message && demoModel) {
      // As `planwright demo` starts it: from a client on this worker's own connection, eagerly.
      demoModel.enqueue(demoScript());
      timedDemoRun(client, { taskQueue, workflowId: String(message.demo), eager: true }).then(
        (timing) => process.send?.(timing),
        (err: unknown) => process.send?.({ error: String(err) }),
      );
      return;
    }
    if (message !== 'measure' && message !== 'measure-after-gc') return;
    const cpu = process.cpuUsage();
    // The CPU first, so that the collection is not counted; then what the heap keeps.
    if (message === 'measure-after-gc') (globalThis as { gc?: () => void }).gc?.();
    const memory = process.memoryUsage();
    process.send?.({ cpuMs: (cpu.user + cpu.system) / 1000, rss: memory.rss, heapUsed: memory.heapUsed });
  });
});
process.send?.('ready');
await worker.runUntil(stopped);
await demoModel?.close();
await connection.close();
process.disconnect?.();
