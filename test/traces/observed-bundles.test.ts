/**
 * Telemetry costs a worker that neither traces nor exports metrics nothing: its workflow bundle holds no telemetry
 * code. A worker that exports metrics without tracing runs the bundle with the runs' telemetry (workflows/observed.ts)
 * and its Prometheus endpoint has planwright's workflow metrics; a run's history is the same under every bundle.
 */
import type { ChildProcess } from 'node:child_process';
import { readFile } from 'node:fs/promises';
import { Client, Connection } from '@temporalio/client';
import { Worker } from '@temporalio/worker';
import parsePrometheusTextFormat from 'parse-prometheus-text-format';
import { afterAll, describe, expect, inject, it } from 'vitest';
import { freePort } from '../../src/free-port.js';
import { runResult } from '../../src/run-result.js';
import { buildObservedBundle, observedWorkflowBundle, tracedWorkflowBundle } from '../../src/telemetry/bundle.js';
import { observeWorker } from '../../src/telemetry/worker.js';
import { startScriptedModel } from '../../src/testing/scripted-model.js';
import type { planAndExecute } from '../../workflows/index.js';
import { WORKFLOW_TYPE } from '../../workflows/messages.js';
import { planReply, wireStep } from '../support/e2e.js';
import { unique } from '../support/temporal.js';
import { startWorkerProcess } from './worker-process.js';

/** The modules of the workflow code a bundle holds (the bundler names them by path in its module table). */
const holds = (code: string, module: string) => code.includes(module);

const children = new Set<ChildProcess>();
afterAll(() => {
  for (const child of children) child.kill('SIGKILL');
});

describe('the workflow bundles', () => {
  it('plain: no telemetry code, neither planwright’s nor OpenTelemetry’s', async () => {
    const plain = await readFile(inject('workflowBundlePath'), 'utf8');
    expect(holds(plain, './workflows/run.ts')).toBe(true);
    expect(holds(plain, './workflows/telemetry.ts')).toBe(false);
    expect(holds(plain, './workflows/observed.ts')).toBe(false);
    expect(holds(plain, './workflows/traced.ts')).toBe(false);
    expect(holds(plain, './node_modules/@opentelemetry/api/')).toBe(false);
  });

  it('observed: the runs’ telemetry, without Temporal’s tracing interceptors', async () => {
    const { code } = await buildObservedBundle();
    expect(holds(code, './workflows/telemetry.ts')).toBe(true);
    expect(holds(code, './workflows/observed.ts')).toBe(true);
    expect(holds(code, './workflows/traced.ts')).toBe(false);
    expect(holds(code, './node_modules/@opentelemetry/api/')).toBe(true);
    expect(holds(code, './node_modules/@temporalio/interceptors-opentelemetry/')).toBe(false);
  });

  it('is chosen by the OpenTelemetry variables: none, metrics, traces', () => {
    const parts = { model: { name: 'm' } as never, tools: [] };
    expect(observeWorker(parts, {}).bundle).toBeUndefined();
    expect(observeWorker(parts, { OTEL_METRICS_EXPORTER: 'prometheus' }).bundle).toBe(observedWorkflowBundle);
    expect(observeWorker(parts, { OTEL_METRICS_EXPORTER: 'none', OTEL_TRACES_EXPORTER: 'none' }).bundle).toBe(
      undefined,
    );
    expect(tracedWorkflowBundle).not.toBe(observedWorkflowBundle);
  });
});

describe('a worker that exports metrics and does not trace', () => {
  it('has planwright’s workflow metrics on its Prometheus endpoint; the run replays on the plain bundle', async () => {
    const port = await freePort();
    const model = await startScriptedModel({
      script: {
        plan: [planReply(wireStep('total', 'calculator', { expression: '2+3' }))],
        synthesize: [{ content: 'Five.' }],
      },
    });
    const taskQueue = unique('metrics-only');
    const clean = Object.fromEntries(Object.entries(process.env).filter(([k]) => !k.startsWith('OTEL_')));
    const worker = startWorkerProcess(taskQueue, model.url, {
      ...clean,
      OTEL_METRICS_EXPORTER: 'prometheus',
      OTEL_EXPORTER_PROMETHEUS_HOST: '127.0.0.1',
      OTEL_EXPORTER_PROMETHEUS_PORT: String(port),
    });
    children.add(worker.child);
    await worker.ready;
    const connection = await Connection.connect({ address: inject('devServerAddress') });
    try {
      const client = new Client({ connection });
      const handle = await client.workflow.start<typeof planAndExecute>(WORKFLOW_TYPE, {
        taskQueue,
        workflowId: unique('metrics-only'),
        args: [{ goal: 'Add two and three' }],
      });
      expect((await runResult(handle)).status).toBe('completed');
      // Workflow metrics are recorded as the run goes; the endpoint shows them at once.
      const families = parsePrometheusTextFormat(await (await fetch(`http://127.0.0.1:${port}/metrics`)).text());
      const family = (name: string) => families.find((f) => f.name.startsWith(name));
      expect(family('planwright_runs_started')?.metrics.some((m) => Number(m.value) >= 1)).toBe(true);
      expect(family('planwright_runs_ended')?.metrics.some((m) => m.labels?.status === 'completed')).toBe(true);
      expect(family('planwright_steps')?.metrics.some((m) => m.labels?.outcome === 'succeeded')).toBe(true);
      // The same commands without telemetry: the plain bundle replays the run.
      await Worker.runReplayHistory(
        { workflowBundle: { codePath: inject('workflowBundlePath') } },
        await handle.fetchHistory(),
        handle.workflowId,
      );
    } finally {
      worker.child.kill('SIGTERM');
      await connection.close();
      await model.close();
    }
  });
});
