/**
 * `npm run bench -- traces [reps]`: what tracing costs per step. Worker processes on one dev server run the same
 * chain of 30 tool steps: `off` (no OTEL_* variable: the plain bundle, which holds no telemetry code) and `traced`
 * (OTEL_EXPORTER_OTLP_ENDPOINT pointing at a local Jaeger). Rounds take turns, in alternating order; each figure is the
 * median per step over `reps` rounds (default 10), with its range, and the median of the rounds' own ratios to `off`;
 * the same for the worker process's own CPU time per step. It measures two kinds of step, each on servers and workers
 * of its own: steps that do nothing (a zero-latency tool: tracing's worst case, its own work against Temporal's round
 * trips alone) and steps that wait 100 ms (a tool that waits, as a quick tool call or a model's first token would).
 * `PLANWRIGHT_BENCH_STEP_MS=<ms>[,<ms>…]` names other step lengths.
 */
import { fork, type ChildProcess } from 'node:child_process';
import { mkdtemp, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { performance } from 'node:perf_hooks';
import { fileURLToPath } from 'node:url';
import type { RunInput } from '../src/contract/run-input.js';
import { startJaeger } from '../src/provision/jaeger.js';
import { runResult } from '../src/run-result.js';
import { startLocalTemporal } from '../src/temporal/local-server.js';
import { startScriptedModel } from '../src/testing/scripted-model.js';
import { buildTracedBundle } from '../src/telemetry/bundle.js';
import { bundleWorkflows } from '../src/testing/environment.js';
import type { planAndExecute } from '../workflows/index.js';
import { WORKFLOW_TYPE } from '../workflows/messages.js';

const WORKER = fileURLToPath(new URL('./traces-worker.ts', import.meta.url));
const STEPS = 30;
const rest = { description: null, successCriterion: null, critical: null, fallback: null };
/** The chain of tool steps: zero-latency ones, or steps that take `stepMs` each (the `pause` tool). */
const chain = (stepMs: number) => ({
  rationale: null,
  steps: Array.from({ length: STEPS }, (_, i) => ({
    id: `s${i + 1}`,
    title: `s${i + 1}`,
    dependsOn: i ? [`s${i}`] : [],
    ...(stepMs > 0
      ? { tool: 'pause', args: JSON.stringify({ label: `s${i + 1}`, ms: stepMs }) }
      : { tool: 'noop', args: JSON.stringify({ label: `s${i + 1}` }) }),
    ...rest,
  })),
});

/** Starts a worker process with these extra environment variables; resolves once it polls. */
async function worker(name: string, address: string, modelUrl: string, env: NodeJS.ProcessEnv, bundle?: string) {
  const taskQueue = `bench-traces-${name}-${Date.now()}`;
  const clean = Object.fromEntries(Object.entries(process.env).filter(([k]) => !k.startsWith('OTEL_')));
  const child: ChildProcess = fork(WORKER, [address, taskQueue, modelUrl, ...(bundle ? [bundle] : [])], {
    env: { ...clean, ...env },
    // PLANWRIGHT_BENCH_PROFILE=<dir>: each worker writes a CPU profile of every thread there (open in DevTools).
    execArgv: [
      '--import',
      'tsx',
      ...(process.env.PLANWRIGHT_BENCH_PROFILE
        ? ['--cpu-prof', `--cpu-prof-dir=${process.env.PLANWRIGHT_BENCH_PROFILE}`]
        : []),
    ],
  });
  await new Promise<void>((resolve, reject) => {
    child.once('message', () => resolve());
    child.once('exit', (code) => reject(new Error(`${name} worker exited with ${code}`)));
  });
  // Stopping waits for the exit: a traced worker sends the spans it holds before it goes.
  const exited = new Promise((resolve) => child.once('exit', resolve));
  /** The worker process's CPU time so far, in ms. */
  const cpu = () =>
    new Promise<number>((resolve) => {
      child.once('message', (m: { cpu: NodeJS.CpuUsage }) => resolve((m.cpu.user + m.cpu.system) / 1000));
      child.send('cpu');
    });
  return { name, taskQueue, cpu, stop: () => (child.kill('SIGTERM'), exited) };
}

const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)] as number;

/** The step lengths measured: `PLANWRIGHT_BENCH_STEP_MS` (comma-separated), or zero and 100 ms. */
const stepLengths = (env = process.env.PLANWRIGHT_BENCH_STEP_MS) => (env ? env.split(',').map(Number) : [0, 100]);

/** Runs the benchmark for each step length; see {@link benchTracesAt}. */
export async function benchTraces(reps = 10) {
  const results = [];
  for (const stepMs of stepLengths()) results.push(await benchTracesAt(reps, stepMs));
  return results;
}

/**
 * Runs the benchmark with steps of this length; the result holds per-step medians, their ratios to `off`, and the
 * median of each round's own ratio to that round's `off` run (`pairedRatio`: the figure that a machine whose load
 * drifts between rounds disturbs least).
 */
async function benchTracesAt(reps: number, stepMs: number) {
  const plan = chain(stepMs);
  // Both bundles built before the workers start, so that neither worker bundles while it is measured.
  const dir = await mkdtemp(path.join(os.tmpdir(), 'planwright-bench-traces-'));
  const bundles = { off: path.join(dir, 'plain.js'), traced: path.join(dir, 'traced.js') };
  await writeFile(bundles.off, (await bundleWorkflows()).code);
  await writeFile(bundles.traced, (await buildTracedBundle()).code);
  const temporal = await startLocalTemporal();
  const jaeger = await startJaeger();
  const model = await startScriptedModel();
  const workers = [
    await worker('off', temporal.address, model.url, {}, bundles.off),
    await worker(
      'traced',
      temporal.address,
      model.url,
      {
        OTEL_EXPORTER_OTLP_ENDPOINT: jaeger.otlpEndpoint,
        OTEL_METRICS_EXPORTER: 'none',
      },
      bundles.traced,
    ),
  ];
  const perStep: Record<string, number[]> = Object.fromEntries(workers.map((w) => [w.name, []]));
  const cpuPerStep: Record<string, number[]> = Object.fromEntries(workers.map((w) => [w.name, []]));
  try {
    for (let r = -1; r < reps; r++) {
      // Each worker's CPU time over the whole round: what it spent on its run, and after it (spans are sent in
      // batches, every 5 s by default), with the idle polling that all of them pay alike.
      const cpuBefore = await Promise.all(workers.map((w) => w.cpu()));
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
      const cpuAfter = await Promise.all(workers.map((w) => w.cpu()));
      if (r >= 0)
        workers.forEach((w, i) => cpuPerStep[w.name]?.push(((cpuAfter[i] ?? 0) - (cpuBefore[i] ?? 0)) / STEPS));
    }
  } finally {
    await Promise.all(workers.map((w) => w.stop()));
    await model.close();
    await jaeger.stop();
    await temporal.stop();
  }
  const off = median(perStep.off ?? []);
  const cpuOff = median(cpuPerStep.off ?? []);
  const paired = (xs: number[], offs: number[] = []) => median(xs.map((x, i) => x / (offs[i] ?? x)));
  const fixed = (x: number, digits = 3) => Number(x.toFixed(digits));
  const figures = Object.fromEntries(
    Object.entries(perStep).map(([name, xs]) => {
      const cpu = cpuPerStep[name] ?? [];
      return [
        name,
        {
          msPerStep: fixed(median(xs), 2),
          range: [Math.min(...xs), Math.max(...xs)].map((x) => fixed(x, 2)),
          ratioToOff: fixed(median(xs) / off),
          pairedRatio: fixed(paired(xs, perStep.off)),
          // The worker process's own CPU time per step, which the machine's other load disturbs far less.
          cpuMsPerStep: fixed(median(cpu), 2),
          cpuRatioToOff: fixed(median(cpu) / cpuOff),
          cpuPairedRatio: fixed(paired(cpu, cpuPerStep.off)),
        },
      ];
    }),
  );
  return { stepMs, ...figures };
}
