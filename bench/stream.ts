/**
 * `npm run bench -- stream [rounds]`: what a reader of a run's stream costs, on one embedded dev server with a
 * zero-latency scripted model and a planwright worker in a process of its own (bench/e2e-worker.ts).
 *
 * - cost per step: a 100-step chain of 50 ms steps, run alone and with one reader following it (`followRun`), the two
 *   taking turns round by round; the ratio of their wall times per step, and of their history lengths;
 * - latency: from a step's end (its `step-succeeded` event's time) to the reader, over every step of the rounds with a
 *   reader (p50 and p95);
 * - the answer: a synthesizer that writes 80 pieces 25 ms apart (2 s); how many stream items and history events it
 *   added, against the same run with an answer written at once.
 */
import { performance } from 'node:perf_hooks';
import type { Client } from '@temporalio/client';
import { WorkflowStreamClient } from '@temporalio/workflow-streams/client';
import { runResult } from '../src/run-result.js';
import { followRun } from '../src/stream/follow.js';
import { startLocalTemporal } from '../src/temporal/local-server.js';
import { startScriptedModel, type ScriptedModel } from '../src/testing/scripted-model.js';
import type { planAndExecute } from '../workflows/index.js';
import { WORKFLOW_TYPE } from '../workflows/messages.js';
import { inTurn, startWorker, summary, wirePlan, writeBundles, type WorkerProcess } from './e2e.js';

const STEPS = 100;
const STEP_MS = 50;
const chain = Array.from({ length: STEPS }, (_, i): [string, number, string[]] => [
  `s${i + 1}`,
  STEP_MS,
  i ? [`s${i}`] : [],
]);

/** The p-th percentile of `values` (0–100), nearest rank. */
function percentile(values: number[], p: number): number {
  const sorted = [...values].sort((a, b) => a - b);
  return sorted[Math.min(sorted.length - 1, Math.max(0, Math.ceil((p / 100) * sorted.length) - 1))]!;
}

/**
 * Who follows a run: nobody, `followRun` (the run's query while items flow), or the Workflow Streams poll update
 * alone (what another SDK's stream client does).
 */
type Reader = 'none' | 'followRun' | 'poll';

/** One run of the chain (or a short plan with a slow answer), with or without a reader. */
async function oneRun(
  client: Client,
  model: ScriptedModel,
  worker: WorkerProcess,
  options: {
    reader: Reader;
    steps?: typeof chain;
    answer?: { content: string; chunkChars?: number; chunkDelayMs?: number };
  },
) {
  const steps = options.steps ?? chain;
  model.enqueue({ plan: [{ content: wirePlan(steps) }], synthesize: [options.answer ?? { content: 'Done.' }] });
  const started = performance.now();
  const handle = await client.workflow.start<typeof planAndExecute>(WORKFLOW_TYPE, {
    taskQueue: worker.taskQueue,
    workflowId: `bench-stream-${Date.now()}-${Math.random().toString(36).slice(2, 8)}`,
    args: [{ goal: 'benchmark', maxSteps: Math.max(25, steps.length), maxParallel: 8 }],
  });
  const latencies: number[] = [];
  let answerItems = 0;
  const reading =
    options.reader === 'followRun'
      ? (async () => {
          for await (const item of followRun(client, handle.workflowId)) {
            if (item.topic === 'answer') answerItems += 1;
            else if (item.event.kind === 'step-succeeded') latencies.push(Date.now() - Date.parse(item.event.at));
          }
        })()
      : options.reader === 'poll'
        ? (async () => {
            const stream = WorkflowStreamClient.create(client, handle.workflowId);
            for await (const item of stream.subscribe<{ kind?: string; at?: string }>(['events'], 0, {
              resultType: true,
            })) {
              if (item.data.kind === 'step-succeeded') latencies.push(Date.now() - Date.parse(item.data.at ?? ''));
              if (item.data.kind === 'run-finished') break;
            }
          })()
        : Promise.resolve();
  const result = await runResult(handle);
  const ms = performance.now() - started;
  await reading;
  if (result.status !== 'completed') throw new Error(`a benchmark run ended ${result.status}`);
  const history = await handle.fetchHistory();
  return { msPerStep: ms / steps.length, events: history.events?.length ?? 0, latencies, answerItems };
}

/** p50 and p95 of latencies, and how many. */
const latency = (values: number[]) => ({ p50: percentile(values, 50), p95: percentile(values, 95), n: values.length });

export async function benchStream(rounds = 5) {
  const temporal = await startLocalTemporal();
  const model = await startScriptedModel();
  const bundles = await writeBundles();
  const worker = await startWorker('planwright', temporal.address, bundles.planwright, model.url);
  const client = temporal.env.client;
  try {
    // Warm up (the first tasks of a worker process are not typical).
    const readers: Reader[] = ['none', 'followRun', 'poll'];
    for (const reader of readers) await oneRun(client, model, worker, { reader, steps: chain.slice(0, 10) });

    const runs: Record<Reader, Awaited<ReturnType<typeof oneRun>>[]> = { none: [], followRun: [], poll: [] };
    for (let r = 0; r < rounds; r++) {
      for (const reader of inTurn(readers, r)) runs[reader].push(await oneRun(client, model, worker, { reader }));
    }
    const alone = runs.none;
    const against = (reader: Reader) => ({
      msPerStep: summary(runs[reader].map((f) => f.msPerStep)),
      costRatio: summary(
        alone.map((a, i) => runs[reader][i]!.msPerStep / a.msPerStep),
        3,
      ),
      historyEvents: summary(
        runs[reader].map((f) => f.events),
        0,
      ),
      historyRatio: summary(
        alone.map((a, i) => runs[reader][i]!.events / a.events),
        3,
      ),
      latencyMs: latency(runs[reader].flatMap((f) => f.latencies)),
    });

    const short = chain.slice(0, 3).map(([id, , deps]): [string, number, string[]] => [id, 0, deps]);
    const text = 'word '.repeat(80);
    const quick = await oneRun(client, model, worker, { reader: 'followRun', steps: short, answer: { content: text } });
    const slow = await oneRun(client, model, worker, {
      reader: 'followRun',
      steps: short,
      answer: { content: text, chunkChars: 5, chunkDelayMs: 25 },
    });

    return {
      run: `${STEPS} steps of ${STEP_MS} ms in a chain, ${rounds} rounds`,
      alone: {
        msPerStep: summary(alone.map((a) => a.msPerStep)),
        historyEvents: summary(
          alone.map((a) => a.events),
          0,
        ),
      },
      followRun: against('followRun'),
      pollUpdate: against('poll'),
      answer: {
        writtenAtOnce: { items: quick.answerItems, historyEvents: quick.events },
        writtenOver2s: { items: slow.answerItems, historyEvents: slow.events },
      },
    };
  } catch (err) {
    console.error(err);
    throw err;
  } finally {
    await worker.stop();
    await model.close();
    await temporal.stop();
  }
}
