/**
 * `npm run bench -- run-cost [runs]` (default 40): what one run costs when the model is fast, and whether later runs
 * cost more than earlier ones, on the embedded dev server (planwright's fast settings) with a zero-latency scripted
 * model and each worker in a process of its own (bench/e2e-worker.ts).
 *
 * - A series of `runs` 5-step runs one after another, planwright and the bare workflow with the same activities
 *   (`barePlanAndExecute`) taking turns: each run's time from start request to result, the worker's CPU during it,
 *   its JS heap after a full garbage collection, its RSS, and the run's history (events, workflow tasks). Per
 *   contender: median and range, the medians of the first and the last fifth of the series, and the growth per run
 *   (least-squares slope) of time, CPU and heap.
 * - The demo's 5-step plan as `planwright demo` runs it (worker, model and client in one process, eager start), the
 *   same number of runs in a row: time and the worker's CPU per run, first and last fifth.
 * - Makespan ÷ critical path: a 4-way fan-out (four 1 s steps side by side) and an 8-step DAG (critical path 3 s),
 *   planwright, the bare workflow with the same activities and the bare DAG of tool calls alone taking turns (a fifth
 *   as many repetitions as `runs`, at least 3): the tool calls' span in the run's history (first scheduled to last
 *   completed, the server's clock), and the whole run from start request to result (planning and synthesis too).
 */
import { performance } from 'node:perf_hooks';
import type { WorkflowHandle } from '@temporalio/client';
import { tsToMs } from '@temporalio/common/lib/time.js';
import { startLocalTemporal } from '../src/temporal/local-server.js';
import { startScriptedModel } from '../src/testing/scripted-model.js';
import {
  FIVE,
  contenders,
  criticalPath,
  inTurn,
  startWorker,
  summary,
  writeBundles,
  type Node,
  type WorkerProcess,
} from './e2e.js';

const FAN_OUT_4: Node[] = Array.from({ length: 4 }, (_, i) => [`f${i + 1}`, 1000, []]);
/** Two waves of three after a first step, joined by a last one: 8 steps, critical path 0.5 + 1 + 1 + 0.5 s. */
const DAG_8: Node[] = [
  ['a', 500, []],
  ['b1', 1000, ['a']],
  ['b2', 500, ['a']],
  ['b3', 500, ['a']],
  ['c1', 1000, ['b1', 'b2']],
  ['c2', 500, ['b2', 'b3']],
  ['c3', 500, ['b3']],
  ['d', 500, ['c1', 'c2', 'c3']],
];

/**
 * The execution phase of a run, from its history: from the first tool call scheduled to the last one completed
 * (the server's clock, so the benchmark's own process is not in it), in ms.
 */
async function executionMs(handle: WorkflowHandle, activityType: string): Promise<number> {
  const events = (await handle.fetchHistory()).events ?? [];
  const scheduled = new Set<number>();
  let first = Infinity;
  let last = -Infinity;
  for (const e of events) {
    const at = tsToMs(e.eventTime);
    if (e.activityTaskScheduledEventAttributes?.activityType?.name === activityType) {
      scheduled.add(Number(e.eventId));
      first = Math.min(first, at);
    }
    const done = e.activityTaskCompletedEventAttributes;
    if (done && scheduled.has(Number(done.scheduledEventId))) last = Math.max(last, at);
  }
  return last - first;
}

/** Least-squares slope of `ys` against their index: how much a figure grows per run. */
function slope(ys: number[]): number {
  const n = ys.length;
  const mx = (n - 1) / 2;
  const my = ys.reduce((a, b) => a + b, 0) / n;
  let num = 0;
  let den = 0;
  ys.forEach((y, x) => {
    num += (x - mx) * (y - my);
    den += (x - mx) ** 2;
  });
  return den ? num / den : 0;
}

/** A series' median and range, its first and last fifth's medians, and its growth per run. */
function series(values: number[], digits = 1) {
  const fifth = Math.max(1, Math.floor(values.length / 5));
  return {
    ...summary(values, digits),
    firstFifth: summary(values.slice(0, fifth), digits).median,
    lastFifth: summary(values.slice(-fifth), digits).median,
    perRun: Number(slope(values).toFixed(3)),
  };
}

export async function benchRunCost(runs = 40) {
  const temporal = await startLocalTemporal({ fast: true });
  const model = await startScriptedModel();
  const bundles = await writeBundles();
  const workers: Record<'planwright' | 'bareAgent', WorkerProcess> = {
    planwright: await startWorker('planwright', temporal.address, bundles.planwright, model.url),
    bareAgent: await startWorker('bare', temporal.address, bundles.bare, model.url),
  };
  const run = contenders(temporal.env.client, model, workers.planwright, workers.bareAgent);
  const figures: Record<string, unknown> = { runs };
  try {
    for (let i = 0; i < 3; i++) await Promise.all([run.planwright(FIVE), run.bareAgent(FIVE), run.bare(FIVE)]);

    const kinds = ['planwright', 'bareAgent'] as const;
    const seq = Object.fromEntries(
      kinds.map((k) => [
        k,
        {
          ms: [] as number[],
          cpuMs: [] as number[],
          heapMb: [] as number[],
          rssMb: [] as number[],
          events: [] as number[],
          tasks: [] as number[],
        },
      ]),
    );
    for (let r = 0; r < runs; r++) {
      for (const kind of inTurn(kinds, r)) {
        const worker = workers[kind];
        const before = await worker.measure();
        const t0 = performance.now();
        const handle: WorkflowHandle = await run[kind](FIVE);
        const ms = performance.now() - t0;
        const after = await worker.measureAfterGc();
        const events = (await handle.fetchHistory()).events ?? [];
        const s = seq[kind]!;
        s.ms.push(ms);
        s.cpuMs.push(after.cpuMs - before.cpuMs);
        s.heapMb.push(after.heapUsed / 2 ** 20);
        s.rssMb.push(after.rss / 2 ** 20);
        s.events.push(events.length);
        s.tasks.push(events.filter((e) => e.workflowTaskCompletedEventAttributes).length);
      }
    }
    figures.fiveStepRunsInARow = Object.fromEntries(
      kinds.map((k) => {
        const s = seq[k]!;
        return [
          k,
          {
            ms: series(s.ms),
            workerCpuMs: series(s.cpuMs),
            heapMbAfterGc: series(s.heapMb, 2),
            rssMb: series(s.rssMb, 0),
            events: summary(s.events, 0),
            workflowTasks: summary(s.tasks, 0),
          },
        ];
      }),
    );
    figures.fiveStepRunsInARow = {
      ...(figures.fiveStepRunsInARow as object),
      ratioToBareAgent: summary(
        seq.planwright!.ms.map((x, i) => x / seq.bareAgent!.ms[i]!),
        2,
      ),
      cpuRatioToBareAgent: summary(
        seq.planwright!.cpuMs.map((x, i) => x / seq.bareAgent!.cpuMs[i]!),
        2,
      ),
    };

    const demoWorker = await startWorker('demo', temporal.address, bundles.planwright, model.url);
    try {
      for (let r = 0; r < 3; r++) await demoWorker.demo(`run-cost-demo-warm-${Date.now()}-${r}`);
      const ms: number[] = [];
      const cpu: number[] = [];
      const heap: number[] = [];
      for (let r = 0; r < runs; r++) {
        const before = await demoWorker.measure();
        const own = await demoWorker.demo(`run-cost-demo-${Date.now()}-${r}`);
        if (!own.eagerlyStarted) throw new Error('the demo run was not started eagerly');
        const after = await demoWorker.measureAfterGc();
        ms.push(own.ms);
        cpu.push(after.cpuMs - before.cpuMs);
        heap.push(after.heapUsed / 2 ** 20);
      }
      figures.demoRunsInARow = { ms: series(ms, 0), processCpuMs: series(cpu), heapMbAfterGc: series(heap, 2) };
    } finally {
      await demoWorker.stop();
    }

    for (const [name, nodes] of [
      ['fanOut4', FAN_OUT_4],
      ['dag8', DAG_8],
    ] as const) {
      const cp = criticalPath(nodes);
      const wall = { planwright: [] as number[], bareAgent: [] as number[] };
      const exec = { planwright: [] as number[], bare: [] as number[] };
      for (let r = 0; r < Math.max(3, Math.ceil(runs / 5)); r++) {
        for (const kind of inTurn(['planwright', 'bareAgent', 'bare'] as const, r)) {
          const t0 = performance.now();
          const handle: WorkflowHandle = await run[kind](nodes);
          const ms = performance.now() - t0;
          if (kind !== 'bare') wall[kind].push(ms / cp);
          if (kind !== 'bareAgent')
            exec[kind].push((await executionMs(handle, kind === 'bare' ? 'callTool' : 'runTool')) / cp);
        }
      }
      figures[`${name}MakespanOverCriticalPath`] = {
        criticalPathMs: cp,
        toolCallsInHistory: { planwright: summary(exec.planwright, 3), bareDag: summary(exec.bare, 3) },
        wholeRun: { planwright: summary(wall.planwright, 3), bareAgent: summary(wall.bareAgent, 3) },
      };
    }
  } finally {
    await Promise.all([workers.planwright.stop(), workers.bareAgent.stop()]);
    await temporal.stop();
    await model.close();
  }
  return figures;
}
