/**
 * Durability on the real dev server: worker processes killed (SIGKILL) in the middle of runs.
 *
 * - `npm run bench -- worker-kill [runs]`: one worker process at a time; each run's worker is killed at a random
 *   moment while steps run, and a new worker process is started at once (it then serves the next run).
 * - `npm run bench -- fleet [runs]`: two worker processes on one task queue sharing a PostgreSQL output store;
 *   steps make 50 kB outputs that later steps reference; a worker that stored such an output is killed while it
 *   runs a step, and the other must finish the run, loading what the dead one stored.
 *
 * Figures come from the workflow history (when each step's activity completed and on which worker, how long
 * workflow tasks waited) and from the tools' own log (`bench/step-tools.ts`: when each call started, in which
 * process). A step is finished once its ActivityTaskCompleted event is in the history; a `start` of its label
 * after that event is a finished step run again, which must never happen. `PLANWRIGHT_BENCH_TIMELINE=1` prints
 * each run's history and tool starts on stderr, in seconds from the kill.
 */
import { spawn } from 'node:child_process';
import { createWriteStream, existsSync, readFileSync } from 'node:fs';
import { mkdtemp, readdir, readFile, rm } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { fileURLToPath } from 'node:url';
import type { Client, WorkflowHandle } from '@temporalio/client';
import { defaultPayloadConverter } from '@temporalio/common';
import { tsToMs } from '@temporalio/common/lib/time.js';
import { Client as PgClient } from 'pg';
import type { RunToolInput, RunToolOutput } from '../activities/index.js';
import type { Json } from '../src/contract/plan.js';
import type { RunResult } from '../src/contract/run-state.js';
import { startLocalTemporal, type LocalTemporal } from '../src/temporal/local-server.js';
import { startScriptedModel, type ScriptedModel } from '../src/testing/scripted-model.js';
import { startPostgres, type RunningPostgres } from '../test/support/postgres.js';
import type { planAndExecute } from '../workflows/index.js';
import { WORKFLOW_TYPE } from '../workflows/messages.js';
import { runResult } from '../src/run-result.js';
import type { StreamItem } from '../src/stream/events.js';
import { followRun } from '../src/stream/follow.js';

const ROOT = fileURLToPath(new URL('..', import.meta.url));
const CLI = path.join(ROOT, 'bin', 'planwright.js');
const TOOLS = fileURLToPath(new URL('./step-tools.ts', import.meta.url));

/** Bounds of every wait, so a stalled run is reported instead of hanging the benchmark. */
const WORKER_READY_MS = 120_000;
const FIRST_STEP_MS = 60_000;
const RUN_MS = 180_000;
const EXIT_MS = 10_000;

type Handle = WorkflowHandle<typeof planAndExecute>;
type History = Awaited<ReturnType<Handle['fetchHistory']>>;
type Payload = Parameters<typeof defaultPayloadConverter.fromPayload>[0];

// ---------------------------------------------------------------------------------------------------------
// The benchmarks

/** A wire-format plan step (what the scripted planner writes), as in test/support/e2e.ts. */
function wireStep(id: string, tool: string, args: object, dependsOn: string[] = []) {
  const title = id.replace(/_/g, ' ');
  const rest = { description: null, successCriterion: null, critical: null, fallback: null };
  return { id, title, dependsOn, tool, args: JSON.stringify(args), ...rest };
}

/** Ten 1–2 s steps: three in parallel, then chains and fan-ins (at most four run at once). */
const KILL_PLAN: Array<[id: string, ms: number, dependsOn: string[]]> = [
  ['a1', 1500, []],
  ['a2', 1200, []],
  ['a3', 1800, []],
  ['b1', 1000, ['a1']],
  ['b2', 1500, ['a2', 'a3']],
  ['c1', 1200, ['b1', 'b2']],
  ['c2', 2000, ['a3']],
  ['d1', 1000, ['c1']],
  ['d2', 1500, ['c1', 'c2']],
  ['e', 1000, ['d1', 'd2']],
];

/**
 * Runs `runs` ten-step plans on one worker process at a time, killing it at a random moment while the steps
 * run (0.3–6 s after the first one started) and starting a new worker process at once.
 */
export async function benchWorkerKill(runs = 20) {
  return withRig('worker-kill', undefined, async (rig) => {
    const taskQueue = `bench-worker-kill-${Date.now().toString(36)}`;
    const env = rig.workerEnv({ taskQueue, outputStore: path.join(rig.dir, 'outputs') });
    let worker = rig.spawnWorker(env);
    await worker.ready;
    const figures: RunFigures[] = [];
    for (let i = 0; i < runs; i++) {
      const tag = `k${i}`;
      const steps = KILL_PLAN.map(([id, ms, deps]) => wireStep(id, 'work', { label: `${tag}-${id}`, ms }, deps));
      rig.model.enqueue({ plan: [{ content: { rationale: null, steps } }], synthesize: [{ content: 'Done.' }] });
      const handle = await rig.start(`worker-kill-${i}`, taskQueue);
      await rig.until(`the first step of run ${tag}`, FIRST_STEP_MS, () => rig.starts(tag)[0]);
      await sleep(300 + Math.random() * 5700);
      const killed = worker;
      const killAt = Date.now();
      await killed.kill();
      worker = rig.spawnWorker(env);
      figures.push(await rig.judge(handle, tag, { killAt, killedPid: killed.pid }));
      await worker.ready;
    }
    return {
      ...summarize(figures),
      stepsPerRun: KILL_PLAN.length,
      workerStartS: spread(rig.workerStarts),
      modelScriptMisses: rig.model.unexpected.length,
    };
  });
}

/**
 * One run of six 400 ms steps in a row, followed with `followRun` from its start while its worker is killed (SIGKILL)
 * after the second step succeeded and another worker takes over: what the reader read, and the run's result.
 */
export async function followThroughWorkerKill(server: RigServer): Promise<{ items: StreamItem[]; result: RunResult }> {
  return withRig('stream-kill', server, async (rig) => {
    const taskQueue = `stream-kill-${Date.now().toString(36)}`;
    const env = rig.workerEnv({ taskQueue, outputStore: path.join(rig.dir, 'outputs') });
    const first = rig.spawnWorker(env);
    await first.ready;
    const ids = ['s1', 's2', 's3', 's4', 's5', 's6'];
    const steps = ids.map((id, i) => wireStep(id, 'work', { label: `sk-${id}`, ms: 400 }, i > 0 ? [ids[i - 1]!] : []));
    rig.model.enqueue({ plan: [{ content: { rationale: null, steps } }], synthesize: [{ content: 'Done.' }] });
    const handle = await rig.start('stream-kill', taskQueue);
    const items: StreamItem[] = [];
    const following = (async () => {
      for await (const item of followRun(server.client, handle.workflowId)) items.push(item);
    })();
    const succeeded = () => items.filter((i) => i.topic === 'events' && i.event.kind === 'step-succeeded').length;
    await rig.until('two steps to succeed', FIRST_STEP_MS, () => (succeeded() >= 2 ? true : undefined));
    await first.kill();
    const second = rig.spawnWorker(env);
    await second.ready;
    const result = await resultWithin(handle, RUN_MS);
    if (result instanceof Error) throw result;
    await following;
    return { items, result };
  });
}

const BIG = 50_000;

/** Four 50 kB steps, two digests of them, two more 50 kB steps, and a digest of all six. */
function fleetPlan(tag: string) {
  const work = (id: string, ms: number, dependsOn: string[] = []) =>
    wireStep(id, 'work', { label: `${tag}-${id}`, ms, bytes: BIG }, dependsOn);
  const combine = (id: string, refs: string[]) =>
    wireStep(id, 'combine', { label: `${tag}-${id}`, inputs: refs.map((ref) => `{{${ref}}}`) }, refs);
  return [
    work('big_a', 1500),
    work('big_b', 1800),
    work('big_c', 1200),
    work('big_d', 2000),
    combine('mix_ab', ['big_a', 'big_b']),
    combine('mix_cd', ['big_c', 'big_d']),
    work('more_e', 1500, ['mix_ab']),
    work('more_f', 1500, ['mix_cd']),
    combine('all', ['big_a', 'big_b', 'big_c', 'big_d', 'more_e', 'more_f']),
  ];
}

/** Where {@link benchFleet} runs: another Temporal server than a dev server of its own, more workers. */
export interface FleetOptions {
  /** A running server (the PostgreSQL-backed one of `npm run test:cluster`); default: a dev server of its own. */
  server?: RigServer;
  /** Worker processes on the task queue; default 2. */
  workers?: number;
  /** `postgres://` URL of the output store; default: a throwaway PostgreSQL of its own. */
  outputStore?: string;
}

/**
 * Runs plans whose steps make 50 kB outputs (kept in PostgreSQL) that later steps reference, on two worker
 * processes; a worker that has stored such an output is killed while it runs a step, and the others finish.
 */
export async function benchFleet(runs = 1, options: FleetOptions = {}) {
  let postgres: RunningPostgres | undefined;
  try {
    if (!options.outputStore) postgres = await startPostgres();
    const url = options.outputStore ?? (postgres as RunningPostgres).url;
    return await withRig('fleet', options.server, async (rig) => {
      const taskQueue = `bench-fleet-${Date.now().toString(36)}`;
      const env = rig.workerEnv({ taskQueue, outputStore: url });
      const workers = Array.from({ length: options.workers ?? 2 }, () => rig.spawnWorker(env));
      await Promise.all(workers.map((w) => w.ready));
      const figures: RunFigures[] = [];
      const loads: CrossLoads[] = [];
      for (let i = 0; i < runs; i++) {
        const tag = `f${i}`;
        rig.model.enqueue({ plan: [{ content: { rationale: null, steps: fleetPlan(tag) } }] });
        rig.model.enqueue({ synthesize: [{ content: 'Done.' }] });
        const handle = await rig.start(`fleet-${i}`, taskQueue);
        const victim = await rig.until(`a worker that stored an output and runs a step (${tag})`, RUN_MS, async () => {
          const { steps } = readHistory(await handle.fetchHistory());
          const starts = rig.starts(tag);
          const finished = (label: string) => steps.some((s) => s.label === label && s.completedAt !== undefined);
          if (finished(`${tag}-all`)) throw new Error(`run ${tag} finished before a worker could be killed mid-step`);
          return workers.find(
            (w) =>
              steps.some((s) => s.tool === 'work' && s.completedBy?.startsWith(`${w.pid}@`)) &&
              starts.some((s) => s.pid === w.pid && !finished(s.label)),
          );
        });
        await sleep(Math.random() * 200);
        const killAt = Date.now();
        await victim.kill();
        const run = await rig.judge(handle, tag, { killAt, killedPid: victim.pid });
        figures.push(run);
        loads.push(crossLoads(run.steps, victim.pid, killAt));
        workers.splice(workers.indexOf(victim), 1, rig.spawnWorker(env)); // as many workers again for the next run
        await Promise.all(workers.map((w) => w.ready));
      }
      return {
        ...summarize(figures),
        stepsPerRun: fleetPlan('').length,
        combineStepsLoadingOutputsOfAnotherWorker: sum(loads.map((l) => l.ofAnotherWorker)),
        combineStepsLoadingOutputsOfTheKilledWorker: sum(loads.map((l) => l.ofKilledWorker)),
        combineStepsThatGotWholeOutputs: `${sum(loads.map((l) => l.whole))}/${sum(loads.map((l) => l.combines))}`,
        outputRows: await countRows(url),
        modelScriptMisses: rig.model.unexpected.length,
      };
    });
  } finally {
    await postgres?.stop().catch(() => {});
  }
}

// ---------------------------------------------------------------------------------------------------------
// Reading a run's history and the tools' log

/** One `runTool` activity of the history: the step it ran, and when and where it completed. */
interface StepRecord {
  stepId: string;
  tool: string;
  label?: string;
  args: Json;
  completedAt?: number;
  /** Identity (`pid@host`) of the worker whose attempt completed it. */
  completedBy?: string;
  attempt?: number;
  output?: Json;
}

/** A run's history, as the benchmark reads it. */
interface HistoryFacts {
  steps: StepRecord[];
  /** Each workflow task that completed: since when one had been due (across timeouts and retries), and when. */
  workflowTasks: Array<{ dueSince: number; completedAt: number }>;
  /** When workflow tasks timed out (on a dead worker's sticky queue, or while a dead worker held them). */
  workflowTaskTimeouts: number[];
}

function readHistory(history: History): HistoryFacts {
  const byEvent = new Map<string, StepRecord>();
  const step = (eventId: unknown) => byEvent.get(String(eventId));
  const decode = <T>(payloads: { payloads?: Payload[] | null } | null | undefined) =>
    defaultPayloadConverter.fromPayload<T>(payloads?.payloads?.[0] as Payload);
  const facts: HistoryFacts = { steps: [], workflowTasks: [], workflowTaskTimeouts: [] };
  let dueSince: number | undefined;
  for (const event of history.events ?? []) {
    const at = tsToMs(event.eventTime);
    if (event.workflowTaskScheduledEventAttributes) dueSince ??= at;
    if (event.workflowTaskCompletedEventAttributes) {
      facts.workflowTasks.push({ dueSince: dueSince ?? at, completedAt: at });
      dueSince = undefined;
    }
    if (event.workflowTaskTimedOutEventAttributes) facts.workflowTaskTimeouts.push(at);
    const scheduled = event.activityTaskScheduledEventAttributes;
    if (scheduled?.activityType?.name === 'runTool') {
      const { stepId, tool, args } = decode<RunToolInput>(scheduled.input);
      const label = (args as { label?: unknown } | null)?.label;
      byEvent.set(String(event.eventId), { stepId, tool, args, ...(typeof label === 'string' ? { label } : {}) });
    }
    // With retries, ActivityTaskStarted is written with the attempt that completed (or failed for good).
    const started = event.activityTaskStartedEventAttributes;
    const startedStep = step(started?.scheduledEventId);
    if (started && startedStep) {
      if (started.identity) startedStep.completedBy = started.identity;
      if (started.attempt) startedStep.attempt = started.attempt;
    }
    const completed = event.activityTaskCompletedEventAttributes;
    const completedStep = step(completed?.scheduledEventId);
    if (completed && completedStep) {
      completedStep.completedAt = at;
      completedStep.output = decode<RunToolOutput>(completed.result).output;
    }
  }
  facts.steps = [...byEvent.values()];
  return facts;
}

/** One line of the tools' log. */
interface ToolStart {
  label: string;
  at: number;
  pid: number;
}

function readStarts(file: string): ToolStart[] {
  if (!existsSync(file)) return [];
  return readFileSync(file, 'utf8')
    .split('\n')
    .map((line) => line.split(' '))
    .filter((parts) => parts[0] === 'start' && parts.length === 4)
    .map(([, label, at, pid]) => ({ label: label as string, at: Number(at), pid: Number(pid) }));
}

// ---------------------------------------------------------------------------------------------------------
// Judging

/** The moment a worker was killed, and which. */
interface Kill {
  killAt: number;
  killedPid: number;
}

/** What one run with a killed worker came to. */
interface RunFigures {
  status: string;
  /** From the kill to the first step completed after it (null when none completed after it). */
  killToNextCompletedStepMs: number | null;
  /** From the kill until every step the killed worker was running had completed (null when it ran none). */
  killToLostStepsDoneMs: number | null;
  /** Steps the killed worker had started and not finished when it died. */
  lostSteps: number;
  finishedStepsRunAgain: string[];
  /** Steps completed by an attempt other than the first. */
  retriedSteps: number;
  /**
   * The longest a workflow task took, from scheduled to completed across timeouts, among those completed after
   * the kill: while one is due, the run cannot start steps (a few ms normally; 10 s when a dead worker held it).
   */
  longestWorkflowTaskMs: number;
  workflowTaskTimeouts: number;
  runMs: number;
  steps: StepRecord[];
  problem?: string;
}

type Judged = Omit<RunFigures, 'status' | 'runMs' | 'steps' | 'problem'>;

/** Judges a run from its history and the tools' log, against the moment its worker was killed. */
function judgeRun(
  { steps, workflowTasks, workflowTaskTimeouts }: HistoryFacts,
  starts: ToolStart[],
  kill: Kill,
): Judged {
  const { killAt, killedPid } = kill;
  const runAgain = steps.flatMap(({ label, completedAt }) =>
    completedAt === undefined
      ? []
      : starts
          .filter((s) => s.label === label && s.at > completedAt)
          .map((s) => `${label} started again ${s.at - completedAt} ms after it finished (pid ${s.pid})`),
  );
  const after = steps.map((s) => s.completedAt).filter((t): t is number => t !== undefined && t > killAt);
  const lost = steps.filter(
    (step) =>
      (step.completedAt === undefined || step.completedAt > killAt) &&
      starts.some((s) => s.label === step.label && s.pid === killedPid && s.at <= killAt),
  );
  const lostDone = lost.map((s) => s.completedAt ?? Number.NaN);
  const waits = workflowTasks.filter((t) => t.completedAt > killAt).map((t) => t.completedAt - t.dueSince);
  return {
    killToNextCompletedStepMs: after.length > 0 ? Math.min(...after) - killAt : null,
    killToLostStepsDoneMs: lost.length === 0 || lostDone.some(Number.isNaN) ? null : Math.max(...lostDone) - killAt,
    lostSteps: lost.length,
    finishedStepsRunAgain: runAgain,
    retriedSteps: steps.filter((s) => (s.attempt ?? 1) > 1).length,
    longestWorkflowTaskMs: Math.max(0, ...waits),
    workflowTaskTimeouts: workflowTaskTimeouts.filter((t) => t > killAt).length,
  };
}

/** Combine steps and the outputs they loaded. */
interface CrossLoads {
  combines: number;
  /** Combine steps that referenced an output another worker stored. */
  ofAnotherWorker: number;
  /** Combine steps, run after the kill, that referenced an output the killed worker stored. */
  ofKilledWorker: number;
  /** Combine steps whose digest shows they got every referenced 50 kB output whole, not a reference. */
  whole: number;
}

function crossLoads(steps: StepRecord[], killedPid: number, killAt: number): CrossLoads {
  const byId = new Map(steps.filter((s) => s.completedAt !== undefined).map((s) => [s.stepId, s]));
  const combines = steps.filter((s) => s.tool === 'combine' && s.completedAt !== undefined);
  const refsOf = (step: StepRecord) =>
    [...JSON.stringify(step.args).matchAll(/\{\{([a-z][a-z0-9_-]*)\}\}/g)].map((m) => byId.get(m[1] as string));
  return {
    combines: combines.length,
    ofAnotherWorker: combines.filter((c) => refsOf(c).some((r) => r?.completedBy !== c.completedBy)).length,
    ofKilledWorker: combines.filter(
      (c) => (c.completedAt as number) > killAt && refsOf(c).some((r) => r?.completedBy?.startsWith(`${killedPid}@`)),
    ).length,
    whole: combines.filter((c) => ((c.output as { length?: number } | null)?.length ?? 0) >= refsOf(c).length * BIG)
      .length,
  };
}

function summarize(runs: RunFigures[]) {
  const seconds = (values: Array<number | null>) => spread(values.filter((v): v is number => v !== null));
  const again = runs.flatMap((r) => r.finishedStepsRunAgain);
  const problems = runs.flatMap((r, i) => (r.problem ? [`run ${i}: ${r.problem}`] : []));
  return {
    runs: runs.length,
    completed: runs.filter((r) => r.status === 'completed').length,
    kills: runs.length,
    finishedStepsRunAgain: again.length,
    killToNextCompletedStepS: seconds(runs.map((r) => r.killToNextCompletedStepMs)),
    killsFollowedByNoStep: runs.filter((r) => r.killToNextCompletedStepMs === null).length,
    killToLostStepsDoneS: seconds(runs.map((r) => r.killToLostStepsDoneMs)),
    lostSteps: sum(runs.map((r) => r.lostSteps)),
    lostStepsPerKill: spread(
      runs.map((r) => r.lostSteps),
      1,
    ),
    retriedSteps: sum(runs.map((r) => r.retriedSteps)),
    longestWorkflowTaskS: seconds(runs.map((r) => r.longestWorkflowTaskMs)),
    workflowTaskTimeouts: sum(runs.map((r) => r.workflowTaskTimeouts)),
    runS: seconds(runs.map((r) => r.runMs)),
    ...(again.length > 0 ? { runAgain: again } : {}),
    ...(problems.length > 0 ? { problems } : {}),
  };
}

/** Median, minimum and maximum, rounded to a tenth: seconds from milliseconds, unless `scale` says otherwise. */
function spread(values: number[], scale = 1000): { median: number; min: number; max: number } | null {
  if (values.length === 0) return null;
  const sorted = [...values].sort((a, b) => a - b);
  const at = (i: number) => sorted[i] as number;
  const half = Math.floor(sorted.length / 2);
  const median = sorted.length % 2 ? at(half) : (at(half - 1) + at(half)) / 2;
  const round = (n: number) => Math.round((n / scale) * 10) / 10;
  return { median: round(median), min: round(at(0)), max: round(at(sorted.length - 1)) };
}

function sum(values: number[]): number {
  return values.reduce((a, b) => a + b, 0);
}

async function countRows(url: string): Promise<number> {
  const client = new PgClient({ connectionString: url });
  await client.connect();
  try {
    const result = await client.query<{ n: string }>('SELECT count(*) AS n FROM planwright_outputs');
    return Number(result.rows[0]?.n ?? 0);
  } finally {
    await client.end();
  }
}

/** Prints a run's history events and tool starts in seconds from the kill, for a person to read. */
function printTimeline(name: string, history: History, starts: ToolStart[], killAt: number): void {
  const lines: Array<[number, string]> = starts.map((s) => [s.at, `tool start ${s.label} (pid ${s.pid})`]);
  for (const event of history.events ?? []) {
    const [kind, attrs] = Object.entries(event).find(([key, value]) => key.endsWith('EventAttributes') && value) ?? [];
    const { identity, attempt, scheduledEventId, taskQueue } = (attrs ?? {}) as Record<string, unknown>;
    const where = [
      identity && `by ${String(identity)}`,
      attempt && `attempt ${String(attempt)}`,
      scheduledEventId && `of #${String(scheduledEventId)}`,
      taskQueue && `on ${(taskQueue as { name?: string }).name}`,
    ].filter(Boolean);
    lines.push([
      tsToMs(event.eventTime),
      `#${String(event.eventId)} ${kind?.replace(/EventAttributes$/, '')} ${where.join(' ')}`,
    ]);
  }
  process.stderr.write(`--- ${name} (seconds from the kill)\n`);
  for (const [at, text] of lines.sort((a, b) => a[0] - b[0])) {
    process.stderr.write(`${((at - killAt) / 1000).toFixed(2).padStart(7)} ${text}\n`);
  }
}

// ---------------------------------------------------------------------------------------------------------
// The rig: a dev server, a scripted model, worker processes and a temporary folder, all torn down at the end

/** A worker process (`planwright worker`). */
interface WorkerProcess {
  readonly pid: number;
  /** Resolves once the worker polls its task queue; rejects when it dies first or takes too long. */
  readonly ready: Promise<void>;
  /** Kills it with SIGKILL and waits (a bounded time) until it is gone. */
  kill(): Promise<void>;
}

interface Rig {
  dir: string;
  model: ScriptedModel;
  /** Milliseconds each worker took from spawn to polling. */
  workerStarts: number[];
  workerEnv(options: { taskQueue: string; outputStore: string }): NodeJS.ProcessEnv;
  spawnWorker(env: NodeJS.ProcessEnv): WorkerProcess;
  start(name: string, taskQueue: string): Promise<Handle>;
  /** The tool calls of the run tagged `tag` so far, in the order they started. */
  starts(tag: string): ToolStart[];
  /** Waits for the run's result (a bounded time), then judges it against the kill. */
  judge(handle: Handle, tag: string, kill: Kill): Promise<RunFigures>;
  /** Polls `probe` until it gives a value. @throws {Error} after `ms`. */
  until<T>(what: string, ms: number, probe: () => Promise<T | undefined> | T | undefined): Promise<T>;
}

/** A Temporal server the rig uses instead of starting a dev server. */
export interface RigServer {
  address: string;
  client: Client;
}

async function withRig<T>(name: string, server: RigServer | undefined, body: (rig: Rig) => Promise<T>): Promise<T> {
  const dir = await mkdtemp(path.join(os.tmpdir(), `planwright-bench-${name}-`));
  const toolLog = path.join(dir, 'tools.log');
  const live = new Set<WorkerProcess>();
  let temporal: LocalTemporal | undefined;
  let model: ScriptedModel | undefined;
  try {
    if (!server) temporal = await startLocalTemporal(); // on ports the SDK finds free
    const { address, client } = server ?? { address: temporal?.address ?? '', client: temporal?.env.client };
    if (!client) throw new Error('no Temporal server to run on');
    model = await startScriptedModel();
    const modelUrl = model.url;
    const startedAt = new Map<string, number>();
    let spawned = 0;
    const rig: Rig = {
      dir,
      model,
      workerStarts: [],
      workerEnv: ({ taskQueue, outputStore }) => ({
        ...Object.fromEntries(
          Object.entries(process.env).filter(([key]) => !/^(TEMPORAL|OPENAI|PLANWRIGHT)_/.test(key)),
        ),
        TEMPORAL_ADDRESS: address,
        OPENAI_BASE_URL: modelUrl,
        OPENAI_API_KEY: 'scripted',
        PLANWRIGHT_MODEL: 'scripted',
        PLANWRIGHT_TOOLS: TOOLS,
        PLANWRIGHT_TASK_QUEUE: taskQueue,
        PLANWRIGHT_OUTPUT_STORE: outputStore,
        PLANWRIGHT_BENCH_LOG: toolLog,
        PLANWRIGHT_WORKSPACE: dir,
        PLANWRIGHT_PLAN_CACHE_DIR: path.join(dir, 'plans'),
      }),
      spawnWorker(workerEnv) {
        const worker = spawnWorker(workerEnv, path.join(dir, `worker-${++spawned}.log`), {
          ready: (ms) => rig.workerStarts.push(ms),
          gone: () => live.delete(worker),
        });
        live.add(worker);
        return worker;
      },
      async start(runName, taskQueue) {
        const workflowId = `${runName}-${Date.now().toString(36)}`;
        startedAt.set(workflowId, Date.now());
        return client.workflow.start<typeof planAndExecute>(WORKFLOW_TYPE, {
          taskQueue,
          workflowId,
          args: [{ goal: `Durability benchmark: ${runName}`, maxParallel: 4 }],
        });
      },
      starts: (tag) => readStarts(toolLog).filter((s) => s.label.startsWith(`${tag}-`)),
      async judge(handle, tag, kill) {
        const result = await resultWithin(handle, RUN_MS);
        const runMs = Date.now() - (startedAt.get(handle.workflowId) ?? Date.now());
        const history = await handle.fetchHistory();
        const starts = rig.starts(tag);
        if (process.env.PLANWRIGHT_BENCH_TIMELINE === '1')
          printTimeline(handle.workflowId, history, starts, kill.killAt);
        const facts = readHistory(history);
        const status = result instanceof Error ? 'no result' : result.status;
        const problems = [
          ...(result instanceof Error ? [result.message] : []),
          ...(status !== 'completed' ? [`status ${status}`] : []),
          ...(!(result instanceof Error) && result.failure ? [result.failure.message] : []),
        ];
        return {
          status,
          runMs,
          steps: facts.steps,
          ...judgeRun(facts, starts, kill),
          ...(problems.length > 0 ? { problem: problems.join('; ') } : {}),
        };
      },
      async until(what, ms, probe) {
        const deadline = Date.now() + ms;
        while (Date.now() < deadline) {
          const value = await probe();
          if (value !== undefined) return value;
          await sleep(100);
        }
        throw new Error(`gave up after ${ms / 1000} s waiting for ${what}`);
      },
    };
    return await body(rig);
  } catch (err) {
    // The folder goes away below: show what the workers said, which usually tells why.
    for (const file of (await readdir(dir)).filter((f) => f.startsWith('worker-')).sort()) {
      const text = await readFile(path.join(dir, file), 'utf8');
      process.stderr.write(`--- ${file} (last 3,000 characters)\n${text.slice(-3000)}\n`);
    }
    if (model?.unexpected.length)
      process.stderr.write(`--- the scripted model had no answer for ${model.unexpected.length} request(s)\n`);
    throw err;
  } finally {
    await Promise.all([...live].map((w) => w.kill()));
    await model?.close().catch(() => {});
    await temporal?.stop().catch(() => {});
    await rm(dir, { recursive: true, force: true });
  }
}

/** The run's result, or an error saying why there is none (the run is then terminated). */
async function resultWithin(handle: Handle, ms: number): Promise<RunResult | Error> {
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<Error>((resolve) => {
    timer = setTimeout(() => resolve(new Error(`no result within ${ms / 1000} s`)), ms);
  });
  try {
    const result = await Promise.race([runResult(handle).catch((err: Error) => err), timeout]);
    if (result instanceof Error) await handle.terminate('benchmark: no result in time').catch(() => {});
    return result;
  } finally {
    clearTimeout(timer);
  }
}

/** Starts `planwright worker` with its output going to `logFile`; tells when it polls and when it is gone. */
function spawnWorker(env: NodeJS.ProcessEnv, logFile: string, on: { ready(ms: number): void; gone(): void }) {
  const spawnedAt = Date.now();
  const child = spawn(process.execPath, [CLI, 'worker'], { cwd: ROOT, env, stdio: ['ignore', 'pipe', 'pipe'] });
  const log = createWriteStream(logFile);
  const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));
  void exited.then(on.gone);
  let banner: string | undefined = '';
  const ready = new Promise<void>((resolve, reject) => {
    const timer = setTimeout(
      () => reject(new Error(`worker not polling after ${WORKER_READY_MS / 1000} s`)),
      WORKER_READY_MS,
    );
    child.stdout.on('data', (chunk: Buffer) => {
      log.write(chunk);
      if (banner === undefined) return;
      banner += chunk.toString('utf8');
      if (!banner.includes('Worker polling')) return;
      banner = undefined;
      clearTimeout(timer);
      on.ready(Date.now() - spawnedAt);
      resolve();
    });
    child.stderr.on('data', (chunk: Buffer) => log.write(chunk));
    child.once('error', reject);
    child.once('exit', (code, signal) => {
      clearTimeout(timer);
      log.end();
      reject(new Error(`worker ${child.pid} exited (${code ?? signal}) before polling; its output: ${logFile}`));
    });
  });
  ready.catch(() => {}); // whoever needs the worker awaits it; an unawaited failure must not end the process
  const worker: WorkerProcess = {
    pid: child.pid ?? -1,
    ready,
    async kill() {
      if (child.exitCode === null && child.signalCode === null) child.kill('SIGKILL');
      let timer: NodeJS.Timeout | undefined;
      await Promise.race([exited, new Promise((resolve) => (timer = setTimeout(resolve, EXIT_MS)))]);
      clearTimeout(timer);
    },
  };
  return worker;
}
