/**
 * planwright's search attributes on SQL visibility (PostgreSQL): `planwright list` and queries by PlanwrightStatus
 * and PlanwrightReplans, as an operator runs them against a self-hosted server.
 */
import { describe, expect, it, vi } from 'vitest';
import type { Client } from '@temporalio/client';
import { runResult } from '../../src/run-result.js';
import type { planAndExecute } from '../../workflows/index.js';
import { WORKFLOW_TYPE } from '../../workflows/messages.js';
import { devServerSuite, scriptedWorker, terminal, useDevServer } from '../support/cli.js';
import { planReply, wireStep } from '../support/e2e.js';
import { unique } from '../support/temporal.js';

const env = devServerSuite();

async function ids(client: Client, query: string): Promise<string[]> {
  const found: string[] = [];
  for await (const info of client.workflow.list({ query })) found.push(info.workflowId);
  return found.sort();
}

describe('SQL visibility on PostgreSQL', () => {
  it('finds runs by PlanwrightStatus and PlanwrightReplans, and planwright list shows them', async () => {
    const taskQueue = useDevServer();
    const count = wireStep('total', 'data_query', { file: 'support-tickets.csv' });
    const { worker, model } = await scriptedWorker(env(), taskQueue, {
      plan: [planReply(count), planReply(count)],
      synthesize: [{ content: '318 tickets.' }],
    });
    const { client } = env();
    try {
      await worker.runUntil(async () => {
        const start = (name: string, approval?: 'plan') =>
          client.workflow.start<typeof planAndExecute>(WORKFLOW_TYPE, {
            taskQueue,
            workflowId: unique(name),
            args: [{ goal: 'Count the tickets', ...(approval ? { approval } : {}) }],
          });
        const done = await start('vis-done');
        expect((await runResult(done)).status).toBe('completed');
        const waiting = await start('vis-waiting', 'plan');
        const mine = `TaskQueue = '${taskQueue}'`;
        // Visibility is written a moment after the run's state changes.
        await vi.waitFor(
          async () => {
            expect(await ids(client, `${mine} AND PlanwrightStatus = 'awaiting-approval'`)).toEqual([
              waiting.workflowId,
            ]);
            expect(await ids(client, `${mine} AND PlanwrightStatus = 'completed'`)).toEqual([done.workflowId]);
            expect(await ids(client, `${mine} AND PlanwrightReplans = 0`)).toEqual(
              [done.workflowId, waiting.workflowId].sort(),
            );
            expect(await ids(client, `${mine} AND PlanwrightStatus IN ('running', 'failed')`)).toEqual([]);
          },
          { timeout: 20_000, interval: 250 },
        );
        expect((await client.workflow.count(`${mine} AND PlanwrightStatus = 'completed'`)).count).toBe(1);

        const t = terminal();
        expect(await t.cli('list')).toBe(0);
        const lines = t.stdout().split('\n');
        expect(lines.find((l) => l.includes(done.workflowId))).toMatch(/COMPLETED/);
        expect(lines.find((l) => l.includes(waiting.workflowId))).toMatch(/RUNNING/);
        await waiting.terminate('test over');
      });
    } finally {
      await model.close();
    }
  });
});
