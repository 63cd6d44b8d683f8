/**
 * `npm run bench -- e2e [reps]`: planwright against bare Temporal workflows (bench/bare/workflows.ts) on one
 * embedded dev server, with a zero-latency scripted model: `bareAgent` runs the same activities as a planwright
 * run (describe, plan, the tool steps, synthesize) with nothing else; `bare` runs the tool calls alone.
 *
 * - per step: a chain of 50 zero-latency tool steps (and of 5, for the marginal cost of a step);
 * - makespan ÷ critical path: a fan-out (six 1 s steps side by side) and a diamond (0.5 s → 1 s ‖ 0.5 s → 0.5 s);
 * - throughput: 100 runs of a 5-step plan started at once; steps per second; the worker's CPU and memory per run
 *   (each worker is a process of its own, bench/e2e-worker.ts, so only the worker is measured);
 * - the demo: the weekly report's 5-step plan, start to result, as `planwright demo` runs it (worker, scripted model
 *   and client in one process, eager start: a `demo` worker process), and started from another process;
 * - a 24 h approval timeout on the time-skipping server, in wall time.
 *
 * Every figure is the median of `reps` repetitions (default 5; four times as many for the cost of a step; at least 3
 * for throughput; half as many, at least 3, for the makespans, whose spread is small; at least 15 for the demo) with
 * its range; planwright and the baselines take turns. `PLANWRIGHT_BENCH_SERVER=default` runs the dev server without
 * planwright's fast settings.
 */
import { fork, type ChildProcess } from 'node:child_process';
import { mkdtemp, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { performance } from 'node:perf_hooks';
import { fileURLToPath } from 'node:url';
import type { Client } from '@temporalio/client';
import { TestWorkflowEnvironment } from '@temporalio/testing';
import { historyToJSON } from '@temporalio/common/lib/proto-utils.js';
import { bundleWorkflowCode } from '@temporalio/worker';
import type { WirePlan } from '../src/contract/plan.js';
import type { RunInput } from '../src/contract/run-input.js';
import { createModel } from '../src/llm/model.js';
import { runResult } from '../src/run-result.js';
import { startLocalTemporal } from '../src/temporal/local-server.js';
import { startTestServer } from '../src/provision/temporal.js';
import { startScriptedModel, type ScriptedModel } from '../src/testing/scripted-model.js';
import { createPlanwrightWorker, WORKFLOW_BUNDLE_OPTIONS } from '../src/worker.js';
import { WORKFLOW_TYPE } from '../workflows/messages.js';
import type { planAndExecute } from '../workflows/index.js';
import type { BareStep } from './bare/workflows.js';
import { timedDemoRun } from './demo-run.js';
import { benchTools } from './e2e-tools.js';

const BARE_WORKFLOWS = fileURLToPath(new URL('./bare/workflows.ts', import.meta.url));
const WORKER = fileURLToPath(new URL('./e2e-worker.ts', import.meta.url));
const quiet = { log() {}, trace() {}, debug() {}, info() {}, warn() {}, error: (m: string) => console.error(m) };

/** A step of a benchmark DAG: `ms` 0 is the zero-latency tool. */
export type Node = [id: string, ms: number, dependsOn: string[]];

const chain = (n: number): Node[] => Array.from({ length: n }, (_, i) => [`s${i + 1}`, 0, i ? [`s${i}`] : []]);
const FAN_OUT: Node[] = Array.from({ length: 6 }, (_, i) => [`f${i + 1}`, 1000, []]);
const DIAMOND: Node[] = [
  ['a', 500, []],
  ['b', 1000, ['a']],
  ['c', 500, ['a']],
  ['d', 500, ['b', 'c']],
];
export const FIVE: Node[] = [
  ['q1', 0, []],
  ['q2', 0, []],
  ['q3', 0, []],
  ['t1', 0, ['q1', 'q2']],
  ['t2', 0, ['t1', 'q3']],
];

/**
 * The contenders of repetition `r`, in turn: in the opposite order to the repetition before, so that none always
 * follows the same one.
 */
export const inTurn = <T>(contenders: readonly T[], r: number): readonly T[] =>
  r % 2 ? [...contenders].reverse() : contenders;

/** The longest path through a DAG, in ms. */
export function criticalPath(nodes: Node[]): number {
  const finish = new Map<string, number>();
  for (const [id, ms, deps] of nodes) finish.set(id, ms + Math.max(0, ...deps.map((d) => finish.get(d) ?? 0)));
  return Math.max(...finish.values());
}

const toolOf = ([id, ms]: Node) =>
  ms === 0 ? { tool: 'noop', args: { label: id } } : { tool: 'pause', args: { label: id, ms } };

export function wirePlan(nodes: Node[]): WirePlan {
  const rest = { description: null, successCriterion: null, critical: null, fallback: null };
  return {
    rationale: null,
    steps: nodes.map((node) => {
      const { tool, args } = toolOf(node);
      return { id: node[0], title: node[0], dependsOn: node[2], tool, args: JSON.stringify(args), ...rest };
    }),
  };
}

const bareSteps = (nodes: Node[]): BareStep[] =>
  nodes.map((node) => ({ id: node[0], dependsOn: node[2], ...toolOf(node) }));

/** A worker process (see bench/e2e-worker.ts). */
export interface WorkerProcess {
  taskQueue: string;
  measure(): Promise<{ cpuMs: number; rss: number; heapUsed: number }>;
  /** As `measure`, with the JS heap measured after a full garbage collection (what stays, not what is garbage). */
  measureAfterGc(): Promise<{ cpuMs: number; rss: number; heapUsed: number }>;
  /** Runs the demo from a client in the worker's process, on its connection, with eager start (`demo` only). */
  demo(workflowId: string): Promise<{ ms: number; eagerlyStarted: boolean }>;
  /** Gives the process's own model the demo's answers for one run (`demo` only). */
  script(): Promise<void>;
  stop(): Promise<void>;
}

/** Starts a worker process; several started with the same `taskQueue` make a fleet. */
export async function startWorker(
  kind: 'planwright' | 'bare' | 'demo',
  address: string,
  bundle: string,
  modelUrl: string,
  taskQueue = `bench-${kind}-${Date.now()}`,
) {
  const child: ChildProcess = fork(WORKER, [kind, address, taskQueue, bundle, modelUrl], {
    // PLANWRIGHT_BENCH_PROFILE=<dir>: each worker writes a CPU profile of every thread there (open in DevTools).
    execArgv: [
      '--import',
      'tsx',
      '--expose-gc',
      ...(process.env.PLANWRIGHT_BENCH_PROFILE
        ? ['--cpu-prof', `--cpu-prof-dir=${process.env.PLANWRIGHT_BENCH_PROFILE}`]
        : []),
    ],
    stdio: ['ignore', 'inherit', 'inherit', 'ipc'],
  });
  await new Promise<void>((resolve, reject) => {
    child.once('message', (m) => (m === 'ready' ? resolve() : reject(new Error(String(m)))));
    child.once('exit', (code) => reject(new Error(`the ${kind} worker exited (${code}) before it was ready`)));
  });
  const worker: WorkerProcess = {
    taskQueue,
    measure: () =>
      new Promise((resolve) => {
        child.once('message', (m) => resolve(m as Awaited<ReturnType<WorkerProcess['measure']>>));
        child.send('measure');
      }),
    measureAfterGc: () =>
      new Promise((resolve) => {
        child.once('message', (m) => resolve(m as Awaited<ReturnType<WorkerProcess['measure']>>));
        child.send('measure-after-gc');
      }),
    demo: (workflowId) =>
      new Promise((resolve, reject) => {
        child.once('message', (m) => {
          const answer = m as { ms: number; eagerlyStarted: boolean } | { error: string };
          if ('error' in answer) reject(new Error(answer.error));
          else resolve(answer);
        });
        child.send({ demo: workflowId });
      }),
    script: () =>
      new Promise((resolve) => {
        child.once('message', () => resolve());
        child.send('script');
      }),
    stop: () =>
      new Promise((resolve) => {
        child.once('exit', () => resolve());
        child.send('stop');
      }),
  };
  return worker;
}

/** Size of a history as JSON (as `temporal workflow show --output json` and replay fixtures have it). */
export function historyJsonBytes(history: Parameters<typeof historyToJSON>[0]): number {
  return Buffer.byteLength(historyToJSON(history));
}

/** Median and range of figures, rounded. */
export function summary(values: number[], digits = 1) {
  const sorted = [...values].sort((a, b) => a - b);
  const mid = sorted.length / 2;
  const median = sorted.length % 2 ? sorted[Math.floor(mid)]! : (sorted[mid - 1]! + sorted[mid]!) / 2;
  const round = (x: number) => Number(x.toFixed(digits));
  return { median: round(median), min: round(sorted[0]!), max: round(sorted.at(-1)!) };
}

async function timed<T>(fn: () => Promise<T>): Promise<{ ms: number; value: T }> {
  const started = performance.now();
  const value = await fn();
  return { ms: performance.now() - started, value };
}

/** The two contenders on one server: each runs a DAG and returns when its result is in. */
export function contenders(client: Client, model: ScriptedModel, pw: WorkerProcess, bare: WorkerProcess) {
  let n = 0;
  const id = (kind: string) => `bench-${kind}-${Date.now()}-${++n}`;
  return {
    async planwright(nodes: Node[], input: Partial<RunInput> = {}) {
      model.enqueue({ plan: [{ content: wirePlan(nodes) }], synthesize: [{ content: 'Done.' }] });
      const handle = await client.workflow.start<typeof planAndExecute>(WORKFLOW_TYPE, {
        taskQueue: pw.taskQueue,
        workflowId: id('planwright'),
        args: [{ goal: 'benchmark', maxSteps: Math.max(25, nodes.length), maxParallel: 8, ...input }],
      });
      const result = await runResult(handle);
      if (result.status !== 'completed')
        throw new Error(`a benchmark run ended ${result.status}: ${result.failure?.message}`);
      return handle;
    },
    /** The same activities as planwright's run, on a bare workflow (bench/bare/workflows.ts). */
    async bareAgent(nodes: Node[]) {
      model.enqueue({ plan: [{ content: wirePlan(nodes) }], synthesize: [{ content: 'Done.' }] });
      const handle = await client.workflow.start('barePlanAndExecute', {
        taskQueue: bare.taskQueue,
        workflowId: id('bare-agent'),
        args: ['benchmark'],
      });
      await handle.result();
      return handle;
    },
    async bare(nodes: Node[]) {
      const handle = await client.workflow.start('bareDag', {
        taskQueue: bare.taskQueue,
        workflowId: id('bare'),
        args: [bareSteps(nodes)],
      });
      await handle.result();
      return handle;
    },
  };
}

/** The workflow bundles of planwright and of the bare baselines, written to a temporary folder. */
export async function writeBundles(): Promise<{ planwright: string; bare: string }> {
  const dir = await mkdtemp(path.join(os.tmpdir(), 'planwright-bench-'));
  const bundles = { planwright: path.join(dir, 'planwright.js'), bare: path.join(dir, 'bare.js') };
  await writeFile(bundles.planwright, (await bundleWorkflowCode({ ...WORKFLOW_BUNDLE_OPTIONS, logger: quiet })).code);
  await writeFile(bundles.bare, (await bundleWorkflowCode({ workflowsPath: BARE_WORKFLOWS, logger: quiet })).code);
  return bundles;
}

export async function benchE2e(reps = 5) {
  const fast = process.env.PLANWRIGHT_BENCH_SERVER !== 'default';
  const temporal = await startLocalTemporal({ fast });
  const model = await startScriptedModel();
  const bundles = await writeBundles();
  const pw = await startWorker('planwright', temporal.address, bundles.planwright, model.url);
  const bare = await startWorker('bare', temporal.address, bundles.bare, model.url);
  const run = contenders(temporal.env.client, model, pw, bare);
  const figures: Record<string, unknown> = { server: fast ? 'fast (planwright dev settings)' : 'default' };
  try {
    // Warm both up (the first tasks of a worker process are not typical).
    for (let i = 0; i < 3; i++)
      await Promise.all([run.planwright(chain(5)), run.bare(chain(5)), run.bareAgent(chain(5))]);

    // What one 5-step run leaves in its history.
    const histories = {
      planwright: await (await run.planwright(FIVE)).fetchHistory(),
      bareAgent: await (await run.bareAgent(FIVE)).fetchHistory(),
      bare: await (await run.bare(FIVE)).fetchHistory(),
    };
    figures.fiveStepRunHistory = Object.fromEntries(
      Object.entries(histories).map(([kind, history]) => {
        const events = history.events ?? [];
        const workflowTasks = events.filter((e) => e.workflowTaskCompletedEventAttributes).length;
        const bytes = historyJsonBytes(history);
        return [kind, { events: events.length, workflowTasks, bytes }];
      }),
    );

    // Per step: a chain of 50 zero-latency steps, and the marginal cost of a step (50 against 5), for planwright,
    // the bare workflow running the same activities (bareAgent), and the bare DAG of tool calls alone (bare).
    const kinds = ['planwright', 'bareAgent', 'bare'] as const;
    const perStep = Object.fromEntries(kinds.map((k) => [k, { all: [] as number[], marginal: [] as number[] }]));
    // A repetition takes one to three seconds and one step's ratio moves by ±0.2 between repetitions: take four times
    // as many.
    for (let r = 0; r < 4 * reps; r++) {
      for (const kind of inTurn(kinds, r)) {
        const ms50 = (await timed(() => run[kind](chain(50)))).ms;
        const ms5 = (await timed(() => run[kind](chain(5)))).ms;
        perStep[kind]!.all.push(ms50 / 50);
        perStep[kind]!.marginal.push((ms50 - ms5) / 45);
      }
    }
    const ratio = (a: number[], b: number[]) =>
      summary(
        a.map((x, i) => x / b[i]!),
        2,
      );
    const mine = perStep.planwright!;
    figures.perStepMs = {
      ...Object.fromEntries(kinds.map((k) => [k, summary(perStep[k]!.all)])),
      ratioToBareAgent: ratio(mine.all, perStep.bareAgent!.all),
      ratioToBareDag: ratio(mine.all, perStep.bare!.all),
      marginal: {
        ...Object.fromEntries(kinds.map((k) => [k, summary(perStep[k]!.marginal)])),
        ratioToBareAgent: ratio(mine.marginal, perStep.bareAgent!.marginal),
        ratioToBareDag: ratio(mine.marginal, perStep.bare!.marginal),
      },
    };

    for (const [name, nodes] of [
      ['fanOut', FAN_OUT],
      ['diamond', DIAMOND],
    ] as const) {
      const cp = criticalPath(nodes);
      const p: number[] = [];
      const b: number[] = [];
      for (let r = 0; r < Math.max(3, Math.ceil(reps / 2)); r++) {
        p.push((await timed(() => run.planwright(nodes))).ms / cp);
        b.push((await timed(() => run.bare(nodes))).ms / cp);
      }
      figures[`${name}MakespanOverCriticalPath`] = {
        criticalPathMs: cp,
        planwright: summary(p, 3),
        bare: summary(b, 3),
      };
    }

    // A demo run takes a fifth of a second, and a 2-core machine's noise is a large part of that: take more.
    // The demo as `planwright demo` runs it: worker, scripted model and the client that starts the run (eagerly, on
    // the worker's connection) in one process; and the same run started from a client in another process (its first
    // workflow task then goes through the task queue), in turns.
    const demoWorker = await startWorker('demo', temporal.address, bundles.planwright, model.url);
    const demo = { asTheDemo: [] as number[], otherProcess: [] as number[] };
    const demoRuns = {
      async asTheDemo(r: number | string) {
        const own = await demoWorker.demo(`bench-demo-${Date.now()}-${r}`);
        if (!own.eagerlyStarted) throw new Error('the demo run was not started eagerly');
        return own.ms;
      },
      async otherProcess(r: number) {
        await demoWorker.script();
        const workflowId = `bench-demo-other-${Date.now()}-${r}`;
        return (await timedDemoRun(temporal.env.client, { taskQueue: demoWorker.taskQueue, workflowId, eager: false }))
          .ms;
      },
    };
    try {
      // A new worker process's first runs are not typical.
      for (let r = 0; r < 3; r++) await demoRuns.asTheDemo(`warm-${r}`);
      for (let r = 0; r < Math.max(15, 3 * reps); r++) {
        for (const how of inTurn(['asTheDemo', 'otherProcess'] as const, r)) demo[how].push(await demoRuns[how](r));
      }
    } finally {
      await demoWorker.stop();
    }
    figures.demoStartToResultMs = summary(demo.asTheDemo, 0);
    figures.demoFromAnotherProcessMs = summary(demo.otherProcess, 0);

    const tput = Object.fromEntries(
      kinds.map((k) => [k, { steps: [] as number[], cpu: [] as number[], rss: [] as number[] }]),
    );
    const RUNS = 100;
    for (let r = 0; r < Math.max(3, reps); r++) {
      for (const kind of inTurn(kinds, r)) {
        const worker = kind === 'planwright' ? pw : bare;
        const before = await worker.measure();
        const { ms } = await timed(() => Promise.all(Array.from({ length: RUNS }, () => run[kind](FIVE))));
        const after = await worker.measure();
        tput[kind]!.steps.push((RUNS * FIVE.length) / (ms / 1000));
        tput[kind]!.cpu.push((after.cpuMs - before.cpuMs) / RUNS);
        tput[kind]!.rss.push(after.rss / 2 ** 20);
      }
    }
    figures.throughput100Runs = {
      stepsPerSecond: Object.fromEntries(kinds.map((k) => [k, summary(tput[k]!.steps)])),
      ratioToBareAgent: ratio(tput.planwright!.steps, tput.bareAgent!.steps),
      ratioToBareDag: ratio(tput.planwright!.steps, tput.bare!.steps),
      workerCpuMsPerRun: Object.fromEntries(kinds.map((k) => [k, summary(tput[k]!.cpu)])),
      workerRssMb: Object.fromEntries(kinds.map((k) => [k, summary(tput[k]!.rss, 0)])),
    };
  } finally {
    await Promise.all([pw.stop(), bare.stop()]);
    await temporal.stop();
  }
  figures.approvalTimeout24hWallMs = await timeSkipped24h(model, bundles.planwright, reps);
  await model.close();
  return figures;
}

/** A run waiting 24 h for an approval nobody gives, on the time-skipping server: wall time to its end. */
async function timeSkipped24h(model: ScriptedModel, bundle: string, reps: number) {
  const env = await startTestServer((executable) =>
    TestWorkflowEnvironment.createTimeSkipping({ server: { executable } }),
  );
  try {
    const worker = await createPlanwrightWorker({
      connection: env.nativeConnection,
      namespace: 'default',
      taskQueue: 'bench-24h',
      model: createModel({ apiKey: 'scripted', baseURL: model.url, model: 'scripted', timeoutMs: 10_000 }),
      tools: benchTools,
      planCache: { get: async () => undefined, set: async () => {} },
      workflowBundle: { codePath: bundle },
    });
    const wall: number[] = [];
    await worker.runUntil(async () => {
      for (let r = 0; r < reps; r++) {
        model.enqueue({ plan: [{ content: wirePlan(chain(1)) }] });
        const { ms, value } = await timed(async () =>
          runResult(
            await env.client.workflow.start<typeof planAndExecute>(WORKFLOW_TYPE, {
              taskQueue: 'bench-24h',
              workflowId: `bench-24h-${r}`,
              args: [{ goal: 'benchmark', approval: 'plan' }],
            }),
          ),
        );
        if (value.status !== 'rejected') throw new Error(`the 24 h run ended ${value.status}`);
        wall.push(ms);
      }
    });
    return summary(wall, 0);
  } finally {
    await env.teardown();
  }
}
