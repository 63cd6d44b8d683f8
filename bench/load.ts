/**
 * `npm run bench -- load [N]` (default 1,000): N runs of a 5-step plan started at once, with a zero-latency
 * scripted model, on the embedded dev server and on Temporal's own server on PostgreSQL (configured as
 * docker-compose.yml configures it; test/cluster/support/server.ts), with one and with two worker processes; the same
 * load through the bare workflow with the same activities (bench/bare/workflows.ts, `barePlanAndExecute`) is the
 * floor, taking turns with planwright round after round.
 *
 * Per round: runs completed (the others are terminated after a deadline of 2 s a run, at least 2 minutes, and
 * counted as stuck), steps per second, run latency (start request to result) p50/p95/max, each worker's RSS and JS
 * heap after the round and CPU during it, the server's CPU, and one run's history (events, bytes).
 *
 * `PLANWRIGHT_BENCH_SERVERS` (default `dev,postgres`), `PLANWRIGHT_BENCH_WORKERS` (default `1,2`) and
 * `PLANWRIGHT_BENCH_ROUNDS` (default 3 for fewer than 500 runs, else 1) choose what runs; the workers take their
 * settings from the environment (`PLANWRIGHT_MAX_CACHED_RUNS` and the others of docs/configuration.md).
 * `PLANWRIGHT_BENCH_AGAINST=<bundle.js>` makes the floor planwright itself on another workflow bundle (an earlier
 * version's, say), so that a change to the workflow code is measured against the code before it.
 */
import { readFileSync, readdirSync } from 'node:fs';
import { performance } from 'node:perf_hooks';
import { WorkflowExecutionAlreadyStartedError, type Client, type WorkflowHandle } from '@temporalio/client';
import { runResult } from '../src/run-result.js';
import { setupNamespace } from '../src/temporal/setup.js';
import { startLocalTemporal } from '../src/temporal/local-server.js';
import { startScriptedModel, type ScriptedModel } from '../src/testing/scripted-model.js';
import { startTemporalCluster } from '../test/cluster/support/server.js';
import type { planAndExecute } from '../workflows/index.js';
import { WORKFLOW_TYPE } from '../workflows/messages.js';
import {
  FIVE,
  historyJsonBytes,
  inTurn,
  startWorker,
  summary,
  wirePlan,
  writeBundles,
  type WorkerProcess,
} from './e2e.js';

type Contender = 'planwright' | 'bareAgent';
/** Another workflow bundle of planwright's to run as the floor instead of the bare workflow (see above). */
const against = process.env.PLANWRIGHT_BENCH_AGAINST || undefined;
const CONTENDERS: readonly Contender[] = ['planwright', 'bareAgent'];

/** A server under load: its client, and how much CPU its process has used so far. */
interface LoadServer {
  name: string;
  address: string;
  client: Client;
  cpuSeconds(): number;
  stop(): Promise<void>;
}

/** CPU seconds (user + system) a process has used, from /proc (0 where there is none). */
function processCpuSeconds(pid: number | undefined): number {
  if (!pid) return 0;
  try {
    const fields = readFileSync(`/proc/${pid}/stat`, 'utf8').split(') ')[1]?.split(' ') ?? [];
    return (Number(fields[11]) + Number(fields[12])) / 100; // utime, stime in clock ticks (100 a second)
  } catch {
    return 0;
  }
}

/** The process whose command line holds every one of `words` (the dev server the SDK started, say). */
function findProcess(words: string[]): number | undefined {
  for (const entry of readdirSync('/proc')) {
    if (!/^\d+$/.test(entry)) continue;
    try {
      const args = readFileSync(`/proc/${entry}/cmdline`, 'utf8').split('\0');
      if (words.every((w) => args.includes(w))) return Number(entry);
    } catch {
      // Gone meanwhile.
    }
  }
  return undefined;
}

async function startServer(name: string): Promise<LoadServer> {
  if (name === 'dev') {
    const temporal = await startLocalTemporal();
    const pid = findProcess(['start-dev', '--port', temporal.address.split(':').pop() as string]);
    return {
      name: 'dev server (SQLite, planwright fast settings)',
      address: temporal.address,
      client: temporal.env.client,
      cpuSeconds: () => processCpuSeconds(pid),
      stop: () => temporal.stop(),
    };
  }
  if (name === 'postgres') {
    const cluster = await startTemporalCluster({ log: (line) => process.stderr.write(`[load] ${line}\n`) });
    const { Connection, Client } = await import('@temporalio/client');
    const connection = await Connection.connect({ address: cluster.address });
    await setupNamespace(connection, 'default');
    return {
      name: `Temporal server on PostgreSQL (docker-compose.yml's configuration)`,
      address: cluster.address,
      client: new Client({ connection, namespace: 'default' }),
      cpuSeconds: () => processCpuSeconds(cluster.pid()),
      async stop() {
        await connection.close();
        await cluster.stop();
      },
    };
  }
  throw new Error(`PLANWRIGHT_BENCH_SERVERS: unknown server "${name}" (expected dev or postgres)`);
}

const percentile = (sorted: number[], p: number) =>
  sorted.length ? (sorted[Math.min(sorted.length - 1, Math.floor((p / 100) * sorted.length))] as number) : NaN;

/** One round: N runs of one contender started at once on `workers`, until every result is in or the deadline. */
async function round(
  server: LoadServer,
  model: ScriptedModel,
  contender: Contender,
  workers: WorkerProcess[],
  n: number,
  tag: string,
) {
  const taskQueue = workers[0]?.taskQueue as string;
  const runsPlanwright = contender === 'planwright' || against !== undefined;
  const before = await Promise.all(workers.map((w) => w.measure()));
  const serverCpu = server.cpuSeconds();
  const ownCpu = process.cpuUsage();
  // Three answers a run: under load, a model call that times out is retried and asks again (the spare ones are
  // used by the next round; every answer is the same).
  for (let i = 0; i < 3 * n; i++)
    model.enqueue({ plan: [{ content: wirePlan(FIVE) }], synthesize: [{ content: 'Done.' }] });
  let startRetries = 0;
  /**
   * A start request a saturated server does not answer in time is sent again (a second later, at most 4 times in
   * all): the run's id makes it start once, and a start that went through the first time answers "already started".
   */
  async function startOnce(start: () => Promise<WorkflowHandle>): Promise<WorkflowHandle> {
    for (let attempt = 1; ; attempt++) {
      try {
        return await start();
      } catch (err) {
        if (err instanceof WorkflowExecutionAlreadyStartedError)
          return server.client.workflow.getHandle(err.workflowId) as WorkflowHandle;
        if (attempt >= 4) throw err;
        startRetries++;
        await new Promise((resolve) => setTimeout(resolve, 1000));
      }
    }
  }
  const started = performance.now();
  // Generous, so that a slow server (or a busy machine) is measured, not cut off: 2 s a run, at least 2 minutes.
  const deadline = Math.max(120_000, 2_000 * n);
  const latencies: number[] = [];
  const failures: string[] = [];
  const handles: WorkflowHandle[] = [];
  await Promise.all(
    Array.from({ length: n }, async (_, i) => {
      const t0 = performance.now();
      const workflowId = `load-${tag}-${contender}-${i}`;
      try {
        const handle = await startOnce(() =>
          runsPlanwright
            ? server.client.workflow.start<typeof planAndExecute>(WORKFLOW_TYPE, {
                taskQueue,
                workflowId,
                args: [{ goal: 'benchmark', maxSteps: 25, maxParallel: 8 }],
              })
            : server.client.workflow.start('barePlanAndExecute', { taskQueue, workflowId, args: ['benchmark'] }),
        );
        handles[i] = handle;
        const result = runsPlanwright
          ? runResult(handle as WorkflowHandle<typeof planAndExecute>).then((r) => {
              if (r.status !== 'completed') throw new Error(`ended ${r.status}`);
            })
          : handle.result();
        let timer: NodeJS.Timeout | undefined;
        await Promise.race([
          result,
          new Promise((_, reject) => {
            timer = setTimeout(() => reject(new Error('stuck')), deadline - (t0 - started));
          }),
        ]).finally(() => clearTimeout(timer));
        latencies.push(performance.now() - t0);
      } catch (err) {
        failures.push((err as Error).message);
      }
    }),
  );
  const wallS = (performance.now() - started) / 1000;
  const after = await Promise.all(workers.map((w) => w.measure()));
  const serverCpuS = server.cpuSeconds() - serverCpu;
  const own = process.cpuUsage(ownCpu);
  const stuck = failures.filter((f) => f === 'stuck').length;
  if (stuck) await Promise.all(handles.map((h) => h?.terminate('load benchmark: stuck').catch(() => {})));
  const sample = handles.find(Boolean);
  const history = sample ? await sample.fetchHistory() : undefined;
  const sorted = [...latencies].sort((a, b) => a - b);
  const round1 = (x: number) => Math.round(x * 10) / 10;
  return {
    contender,
    completed: latencies.length,
    stuck,
    failed: failures.length - stuck,
    ...(failures.length - stuck ? { firstFailure: failures.find((f) => f !== 'stuck') } : {}),
    startRetries,
    wallS: round1(wallS),
    stepsPerSecond: round1((latencies.length * FIVE.length) / wallS),
    latencyMs: {
      p50: Math.round(percentile(sorted, 50)),
      p95: Math.round(percentile(sorted, 95)),
      max: Math.round(sorted.at(-1) ?? NaN),
    },
    workerCpuS: after.map((a, i) => round1((a.cpuMs - (before[i]?.cpuMs ?? 0)) / 1000)),
    workerRssMb: after.map((a) => Math.round(a.rss / 2 ** 20)),
    workerHeapMb: after.map((a) => Math.round(a.heapUsed / 2 ** 20)),
    serverCpuS: round1(serverCpuS),
    benchProcessCpuS: round1((own.user + own.system) / 1e6),
    history: history
      ? { events: history.events?.length ?? 0, bytes: historyJsonBytes(history) }
      : { events: 0, bytes: 0 },
  };
}

type Round = Awaited<ReturnType<typeof round>>;

export async function benchLoad(n = 1000) {
  const servers = (process.env.PLANWRIGHT_BENCH_SERVERS ?? 'dev,postgres').split(',').filter(Boolean);
  const fleets = (process.env.PLANWRIGHT_BENCH_WORKERS ?? '1,2').split(',').map(Number);
  const rounds = Number(process.env.PLANWRIGHT_BENCH_ROUNDS ?? (n >= 500 ? 1 : 3));
  // A stuck run's result, still awaited when its server stops, fails late: count it, do not end the benchmark.
  let lateFailures = 0;
  process.on('unhandledRejection', () => lateFailures++);
  const bundles = await writeBundles();
  const model = await startScriptedModel();
  const figures: Record<string, unknown> = {
    runs: n,
    stepsPerRun: FIVE.length,
    rounds,
    ...(against ? { floor: `planwright on ${against}` } : {}),
  };
  try {
    for (const name of servers) {
      const server = await startServer(name);
      try {
        for (const count of fleets) {
          const fleet = {} as Record<Contender, WorkerProcess[]>;
          for (const contender of CONTENDERS) {
            const kind = contender === 'planwright' || against ? 'planwright' : 'bare';
            const taskQueue = `load-${kind}-${Date.now()}`;
            fleet[contender] = await Promise.all(
              Array.from({ length: count }, () =>
                startWorker(kind, server.address, bundle(contender), model.url, taskQueue),
              ),
            );
          }
          try {
            // Warm up (a worker process's first tasks are not typical).
            for (const contender of CONTENDERS)
              await round(server, model, contender, fleet[contender], 10, `warm-${name}-${count}-${Date.now()}`);
            const all: Round[] = [];
            for (let r = 0; r < rounds; r++) {
              for (const contender of inTurn(CONTENDERS, r)) {
                const figuresOfRound = await round(
                  server,
                  model,
                  contender,
                  fleet[contender],
                  n,
                  `${name}-${count}-${r}-${Date.now()}`,
                );
                process.stderr.write(
                  `[load] ${name}, ${count} worker(s), round ${r + 1}: ${JSON.stringify(figuresOfRound)}\n`,
                );
                all.push(figuresOfRound);
              }
            }
            figures[`${name}, ${count} worker${count > 1 ? 's' : ''}`] = describe(server.name, all);
          } finally {
            await Promise.all(CONTENDERS.flatMap((c) => fleet[c].map((w) => w.stop())));
          }
        }
      } finally {
        await server.stop();
      }
    }
  } finally {
    await model.close();
  }
  return { ...figures, lateFailures };

  function bundle(contender: Contender): string {
    return contender === 'planwright' ? bundles.planwright : (against ?? bundles.bare);
  }
}

/** A configuration's rounds: planwright's and the floor's figures, and their ratios round by round. */
function describe(server: string, all: Round[]) {
  const of = (c: Contender) => all.filter((r) => r.contender === c);
  const pw = of('planwright');
  const bare = of('bareAgent');
  return {
    server,
    completed: {
      planwright: pw.map((r) => `${r.completed}/${r.completed + r.stuck + r.failed}`),
      bareAgent: bare.map((r) => `${r.completed}/${r.completed + r.stuck + r.failed}`),
    },
    stepsPerSecond: {
      planwright: summary(pw.map((r) => r.stepsPerSecond)),
      bareAgent: summary(bare.map((r) => r.stepsPerSecond)),
    },
    ratioToBareAgent: summary(
      pw.map((r, i) => r.stepsPerSecond / (bare[i]?.stepsPerSecond ?? NaN)),
      2,
    ),
    rounds: all,
  };
}
