/**
 * `npm run bench -- pickups`: how long a task waits between being scheduled and a worker taking it, read from
 * the history of a bare 50-step chain (bench/bare/workflows.ts), on dev servers with and without planwright's
 * settings (FAST_DEV_SERVER_CONFIG), and with each setting alone. It shows where the time of a step goes.
 */
import { fork } from 'node:child_process';
import { mkdtemp, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { tsToMs } from '@temporalio/common/lib/time.js';
import { bundleWorkflowCode } from '@temporalio/worker';
import { FAST_DEV_SERVER_CONFIG, startLocalTemporal } from '../src/temporal/local-server.js';
import type { BareStep } from './bare/workflows.js';

const BARE_WORKFLOWS = fileURLToPath(new URL('./bare/workflows.ts', import.meta.url));
const WORKER = fileURLToPath(new URL('./e2e-worker.ts', import.meta.url));
const quiet = { log() {}, trace() {}, debug() {}, info() {}, warn() {}, error: (m: string) => console.error(m) };

const CHAIN: BareStep[] = Array.from({ length: 50 }, (_, i) => ({
  id: `s${i + 1}`,
  tool: 'noop',
  args: { label: `s${i + 1}` },
  dependsOn: i ? [`s${i}`] : [],
}));

const median = (values: number[]) => [...values].sort((a, b) => a - b)[Math.floor(values.length / 2)] ?? NaN;

/** Runs the chain `runs` times on a server with `dynamicConfig`; medians of each wait, per step. */
async function measure(dynamicConfig: Record<string, string | number | boolean>, bundle: string, runs: number) {
  const temporal = await startLocalTemporal({ fast: false, dynamicConfig });
  const taskQueue = `pickups-${Date.now()}`;
  const worker = fork(WORKER, ['bare', temporal.address, taskQueue, bundle, 'http://unused'], {
    execArgv: ['--import', 'tsx'],
    stdio: ['ignore', 'inherit', 'inherit', 'ipc'],
  });
  await new Promise((resolve) => worker.once('message', resolve));
  const waits = { workflowTask: [] as number[], activityTask: [] as number[], stepMs: [] as number[] };
  try {
    for (let r = 0; r < runs; r++) {
      const handle = await temporal.env.client.workflow.start('bareDag', {
        taskQueue,
        workflowId: `pickups-${Date.now()}-${r}`,
        args: [CHAIN],
      });
      await handle.result();
      const events = (await handle.fetchHistory()).events ?? [];
      const at = events.map((e) => tsToMs(e.eventTime));
      for (let i = 1; i < events.length; i++) {
        const [before, after] = [events[i - 1], events[i]];
        const gap = (at[i] ?? 0) - (at[i - 1] ?? 0);
        if (before?.workflowTaskScheduledEventAttributes && after?.workflowTaskStartedEventAttributes) {
          waits.workflowTask.push(gap);
        }
        if (before?.activityTaskScheduledEventAttributes && after?.activityTaskStartedEventAttributes) {
          waits.activityTask.push(gap);
        }
      }
      waits.stepMs.push(((at.at(-1) ?? 0) - (at[0] ?? 0)) / CHAIN.length);
    }
  } finally {
    worker.send('stop');
    await new Promise((resolve) => worker.once('exit', resolve));
    await temporal.stop();
  }
  return {
    workflowTaskPickupMs: median(waits.workflowTask),
    activityTaskPickupMs: median(waits.activityTask),
    perStepMs: Number(median(waits.stepMs).toFixed(1)),
  };
}

export async function benchPickups(runs = 3) {
  const dir = await mkdtemp(path.join(os.tmpdir(), 'planwright-pickups-'));
  const bundle = path.join(dir, 'bare.js');
  await writeFile(bundle, (await bundleWorkflowCode({ workflowsPath: BARE_WORKFLOWS, logger: quiet })).code);
  const figures: Record<string, unknown> = { default: await measure({}, bundle, runs) };
  for (const [key, value] of Object.entries(FAST_DEV_SERVER_CONFIG)) {
    figures[key] = await measure({ [key]: value }, bundle, runs);
  }
  figures.planwright = await measure({ ...FAST_DEV_SERVER_CONFIG }, bundle, runs);
  return figures;
}
