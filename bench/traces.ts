/**
 * `npm run bench -- traces [reps]`: what tracing costs per step. Worker processes on one dev server run the same
 * chain of 30 zero-latency tool steps: `off` (no OTEL_* variable), `traced` (OTEL_EXPORTER_OTLP_ENDPOINT pointing at a
 * local Jaeger), and, with PLANWRIGHT_BENCH_BASELINE=<a checkout of the code before tracing>, `before` (that
 * checkout's workflow bundle, so the cost of the tracing hooks when off shows against code without them). Rounds
 * take turns, in alternating order; each figure is the median per step over `reps` rounds (default 10), with its range.
 */
import { fork, type ChildProcess } from 'node:child_process';
import { mkdtemp, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { performance } from 'node:perf_hooks';
import { fileURLToPath } from 'node:url';
import { bundleWorkflowCode } from '@temporalio/worker';
import type { RunInput } from '../src/contract/run-input.js';
import { startJaeger } from '../src/provision/jaeger.js';
import { runResult } from '../src/run-result.js';
import { startLocalTemporal } from '../src/temporal/local-server.js';
import { startScriptedModel } from '../src/testing/scripted-model.js';
import type { planAndExecute } from '../workflows/index.js';
import { WORKFLOW_TYPE } from '../workflows/messages.js';

const WORKER = fileURLToPath(new URL('./traces-worker.ts', import.meta.url));
const STEPS = 30;
const rest = { description: null, successCriterion: null, critical: null, fallback: null };
const plan = {
  rationale: null,
  steps: Array.from({ length: STEPS }, (_, i) => ({
    id: `s${i + 1}`,
    title: `s${i + 1}`,
    dependsOn: i ? [`s${i}`] : [],
    tool: 'noop',
    args: JSON.stringify({ label: `s${i + 1}` }),
    ...rest,
  })),
};

/** Starts a worker process with these extra environment variables; resolves once it polls. */
async function worker(name: string, address: string, modelUrl: string, env: NodeJS.ProcessEnv, bundle?: string) {
  const taskQueue = `bench-traces-${name}-${Date.now()}`;
  const clean = Object.fromEntries(Object.entries(process.env).filter(([k]) => !k.startsWith('OTEL_')));
  const child: ChildProcess = fork(WORKER, [address, taskQueue, modelUrl, ...(bundle ? [bundle] : [])], {
    env: { ...clean, ...env },
    execArgv: ['--import', 'tsx'],
  });
  await new Promise<void>((resolve, reject) => {
    child.once('message', () => resolve());
    child.once('exit', (code) => reject(new Error(`${name} worker exited with ${code}`)));
  });
  return { name, taskQueue, stop: () => child.kill('SIGTERM') };
}

/** The baseline checkout's workflow bundle, bundled as that checkout bundles it. */
async function baselineBundle(checkout: string): Promise<string> {
  const wf = (file: string) => path.join(checkout, 'workflows', file);
  const { code } = await bundleWorkflowCode({
    workflowsPath: wf('index.ts'),
    preloadModules: [wf('shared-modules.ts')],
    workflowInterceptorModules: [wf('current-details.ts')],
  });
  const file = path.join(await mkdtemp(path.join(os.tmpdir(), 'planwright-bench-')), 'baseline.js');
  await writeFile(file, code);
  return file;
}

const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)] as number;

/** Runs the benchmark; the result holds per-step medians and the ratios to `off`. */
export async function benchTraces(reps = 10) {
  const temporal = await startLocalTemporal();
  const jaeger = await startJaeger();
  const model = await startScriptedModel();
  const baseline = process.env.PLANWRIGHT_BENCH_BASELINE;
  const workers = [
    await worker('off', temporal.address, model.url, {}),
    await worker('traced', temporal.address, model.url, {
      OTEL_EXPORTER_OTLP_ENDPOINT: jaeger.otlpEndpoint,
      OTEL_METRICS_EXPORTER: 'none',
    }),
    ...(baseline
      ? [await worker('before', temporal.address, model.url, {}, await baselineBundle(path.resolve(baseline)))]
      : []),
  ];
  const perStep: Record<string, number[]> = Object.fromEntries(workers.map((w) => [w.name, []]));
  try {
    for (let r = -1; r < reps; r++) {
      for (const w of r % 2 ? [...workers].reverse() : workers) {
        model.enqueue({ plan: [{ content: plan }], synthesize: [{ content: 'Done.' }] });
        const input: RunInput = { goal: `chain ${r}`, maxSteps: STEPS };
        const started = performance.now();
        const handle = await temporal.env.client.workflow.start<typeof planAndExecute>(WORKFLOW_TYPE, {
          taskQueue: w.taskQueue,
          workflowId: `bench-traces-${w.name}-${r}-${Date.now()}`,
          args: [input],
        });
        const result = await runResult(handle);
        if (result.status !== 'completed') throw new Error(`${w.name}: run ${result.status}`);
        if (r >= 0) perStep[w.name]?.push((performance.now() - started) / STEPS); // round -1 warms up
      }
    }
  } finally {
    for (const w of workers) w.stop();
    await model.close();
    await jaeger.stop();
    await temporal.stop();
  }
  const off = median(perStep.off ?? []);
  return Object.fromEntries(
    Object.entries(perStep).map(([name, xs]) => [
      name,
      {
        msPerStep: Number(median(xs).toFixed(2)),
        range: [Math.min(...xs), Math.max(...xs)].map((x) => Number(x.toFixed(2))),
        ratioToOff: Number((median(xs) / off).toFixed(3)),
      },
    ]),
  );
}
