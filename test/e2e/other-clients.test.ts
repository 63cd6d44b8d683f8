/**
 * A client with no planwright code and no special configuration — the Temporal CLI — starts a run, reads its
 * state, approves its plan and reads its result, with large outputs as references and previews.
 */
import { execFile } from 'node:child_process';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { promisify } from 'node:util';
import type { TestWorkflowEnvironment } from '@temporalio/testing';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import { isOutputRef } from '../../src/contract/output.js';
import type { RunResult } from '../../src/contract/run-state.js';
import { createModel } from '../../src/llm/model.js';
import { createFileOutputStore } from '../../src/outputs/file.js';
import { startScriptedModel } from '../../src/testing/scripted-model.js';
import { cachedPaths } from '../../src/provision/temporal.js';
import { createPlanwrightWorker } from '../../src/worker.js';
import { planReply, waitTool, wireStep } from '../support/e2e.js';
import { devServerEnv, unique } from '../support/temporal.js';
import { builtinTools } from '../../src/tools/builtin.js';
import { DEMO_WORKSPACE } from '../../src/demo/support-report.js';

const run = promisify(execFile);

let env: TestWorkflowEnvironment;
let dir: string;
beforeAll(async () => {
  env = await devServerEnv();
  dir = await mkdtemp(path.join(tmpdir(), 'planwright-cli-client-'));
});
afterAll(async () => {
  await env?.teardown();
  await rm(dir, { recursive: true, force: true });
});

/** Runs the Temporal CLI against the test's dev server and parses its JSON output. */
async function temporal(...args: string[]): Promise<unknown> {
  const { stdout } = await run(cachedPaths().devServer, [
    ...args,
    '--address',
    inject('devServerAddress'),
    '-o',
    'json',
  ]);
  return JSON.parse(stdout) as unknown;
}

describe('the Temporal CLI as a client', () => {
  it('starts a run, reads its state, approves the plan and reads the result with outputs as references', async () => {
    const model = await startScriptedModel({
      script: {
        plan: [
          planReply(
            wireStep('read', 'read_file', { path: 'support-tickets.csv' }),
            wireStep('pause', 'wait', { label: 'pause', ms: 10 }),
          ),
        ],
        synthesize: [{ content: 'Read it.' }],
      },
    });
    const taskQueue = unique('cli');
    const worker = await createPlanwrightWorker({
      connection: env.nativeConnection,
      namespace: 'default',
      taskQueue,
      model: createModel({ apiKey: 'scripted', baseURL: model.url, model: 'scripted', timeoutMs: 10_000 }),
      tools: [...builtinTools, waitTool],
      workspace: DEMO_WORKSPACE,
      workflowBundle: { codePath: inject('workflowBundlePath') },
      outputStore: createFileOutputStore(dir),
    });
    const workflowId = unique('from-cli');
    try {
      const result = await worker.runUntil(async () => {
        await temporal(
          'workflow',
          'start',
          '--type',
          'planAndExecute',
          '--task-queue',
          taskQueue,
          '--workflow-id',
          workflowId,
          '--input',
          JSON.stringify({ goal: 'Read the tickets', approval: 'plan' }),
        );
        let state: RunResult | undefined;
        for (let i = 0; i < 100 && state?.status !== 'awaiting-approval'; i++) {
          const answer = (await temporal('workflow', 'query', '-w', workflowId, '--name', 'state')) as {
            queryResult: RunResult[];
          };
          state = answer.queryResult[0];
          if (state?.status !== 'awaiting-approval') await new Promise((r) => setTimeout(r, 100));
        }
        expect(state?.plan?.steps.map((s) => s.id)).toEqual(['read', 'pause']);
        const refused = await run(cachedPaths().devServer, [
          'workflow',
          'update',
          'execute',
          '-w',
          workflowId,
          '--name',
          'approvePlan',
          '--input',
          '{"version":9}',
          '--address',
          inject('devServerAddress'),
        ]).then(
          () => 'accepted',
          (err: Error) => err.message,
        );
        expect(refused).toContain('plan v9 is not the plan awaiting approval (v1)');
        await temporal(
          'workflow',
          'update',
          'execute',
          '-w',
          workflowId,
          '--name',
          'approvePlan',
          '--input',
          '{"version":1}',
        );
        return (await temporal('workflow', 'result', '-w', workflowId)) as { status: string; result: RunResult };
      });
      expect(result.status).toBe('COMPLETED');
      expect(result.result.status).toBe('completed');
      const read = result.result.steps.find((s) => s.id === 'read');
      expect(isOutputRef(read?.output)).toBe(true);
      expect(read?.output).toMatchObject({
        bytes: expect.any(Number),
        preview: expect.stringContaining('"content":"ticket_id,'),
      });
      expect(result.result.steps.find((s) => s.id === 'pause')?.output).toEqual({
        label: 'pause',
        waited: expect.any(Number),
      });
    } finally {
      await model.close();
    }
  });
});
