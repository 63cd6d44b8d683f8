/**
 * What a terminal shows of a run: the command that answers a run waiting for a person, and the model's
 * retries, each printed once when it changes.
 */
import { describe, expect, it } from 'vitest';
import type { RunState } from '../../src/contract/run-state.js';
import {
  createRunView,
  currentChanges,
  renderPlan,
  renderRetry,
  renderSummary,
  renderWaiting,
} from '../../src/cli/render.js';

const plan = (version: number) => ({
  version,
  steps: [{ id: 'total', title: 'Count', dependsOn: [], tool: 'data_query', args: { file: 'x.csv' } }],
});

function state(overrides: Partial<RunState>): RunState {
  return {
    status: 'running',
    goal: 'Count the tickets',
    planHistory: [],
    steps: [],
    replans: 0,
    usage: { llmCalls: 0, inputTokens: 0, outputTokens: 0, toolCalls: 0 },
    events: [],
    ...overrides,
  } as RunState;
}

const awaitingApproval = (version = 1) => state({ status: 'awaiting-approval', plan: plan(version) as never });
const awaitingDecision = state({
  status: 'awaiting-decision',
  plan: plan(1) as never,
  escalation: { stepId: 'last_year', message: 'data_query failed: "last-year.csv" does not exist' },
});

describe('renderWaiting', () => {
  it('gives the commands that approve or reject a plan waiting for approval', () => {
    const hint = renderWaiting('run-1', awaitingApproval(2));
    expect(hint).toContain('Plan v2 waits for your approval');
    expect(hint).toContain('planwright approve run-1');
    expect(hint).toContain('planwright reject run-1 --feedback "…"');
  });

  it('gives the command that decides about an escalated step, with why it is asked', () => {
    const hint = renderWaiting('run-1', awaitingDecision);
    expect(hint).toContain('Step last_year failed and waits for your decision');
    expect(hint).toContain('"last-year.csv" does not exist');
    expect(hint).toContain('planwright resolve run-1 last_year retry|skip|replan|abort');
  });

  it('gives each tool call waiting for approval, its arguments and the commands that answer it', () => {
    const hint = renderWaiting('run-1', {
      ...awaitingApproval(1),
      pendingCalls: [
        {
          callId: 'send-call-1',
          stepId: 'send',
          tool: 'write_file',
          args: { path: 'out.txt' },
          reason: "write_file asks for a person's approval of every call",
          askedAt: '2026-01-01T00:00:00.000Z',
        },
      ],
    });
    expect(hint).toBe(
      [
        "⏸ Tool call send-call-1 waits for your approval: step send calls write_file (write_file asks for a person's approval of every call)",
        '    arguments: {"path":"out.txt"}',
        "    planwright approve run-1 --call send-call-1 [--args '{…}']",
        '    planwright reject run-1 --call send-call-1 --reason "…"',
      ].join('\n'),
    );
  });

  it('quotes ids the shell would split, and says nothing for a run that waits for no one', () => {
    expect(renderWaiting("my run's id", awaitingApproval())).toContain(`planwright approve 'my run'\\''s id'`);
    expect(renderWaiting('run-1', state({ status: 'running' }))).toBeUndefined();
    expect(renderWaiting('run-1', state({ status: 'completed' }))).toBeUndefined();
  });
});

describe('renderRetry', () => {
  it('names the model for model activities and the activity otherwise', () => {
    expect(renderRetry({ activityType: 'createPlan', attempt: 2, lastFailure: 'HTTP 500' })).toBe(
      'retrying the model (attempt 2): HTTP 500',
    );
    expect(renderRetry({ activityType: 'runTool', attempt: 3, lastFailure: 'timeout' })).toBe(
      'retrying a tool call (attempt 3): timeout',
    );
  });
});

describe('createRunView', () => {
  it('prints the hint once per wait, again for a new plan version or a new escalation', () => {
    const lines: string[] = [];
    const view = createRunView('run-1', (line) => lines.push(line));
    view.show(awaitingApproval(1));
    view.show(awaitingApproval(1));
    expect(lines.filter((l) => l.includes('planwright approve run-1'))).toHaveLength(1);
    view.show(state({ status: 'running', plan: plan(1) as never }));
    view.show(awaitingApproval(2));
    expect(lines.filter((l) => l.includes('planwright approve run-1'))).toHaveLength(2);
    view.show(awaitingDecision);
    view.show(awaitingDecision);
    expect(lines.filter((l) => l.includes('planwright resolve run-1 last_year'))).toHaveLength(1);
  });

  it('prints a retry of the model when it starts and when its attempt changes, not on every poll', () => {
    const lines: string[] = [];
    const view = createRunView('run-1', (line) => lines.push(line));
    view.activities([{ activityType: 'createPlan', attempt: 1 }]);
    view.activities([{ activityType: 'createPlan', attempt: 2, lastFailure: 'HTTP 500: overloaded' }]);
    view.activities([{ activityType: 'createPlan', attempt: 2, lastFailure: 'HTTP 500: overloaded' }]);
    view.activities([{ activityType: 'createPlan', attempt: 3, lastFailure: 'HTTP 429' }]);
    expect(lines).toHaveLength(2);
    expect(lines[0]).toMatch(/^\[\d\d:\d\d:\d\d\] ↻ retrying the model \(attempt 2\): HTTP 500: overloaded$/);
    expect(lines[1]).toMatch(/↻ retrying the model \(attempt 3\): HTTP 429$/);
  });

  it('says once that no worker is polling the run’s task queue', () => {
    const lines: string[] = [];
    const view = createRunView('run-1', (line) => lines.push(line));
    view.noWorker('planwright');
    view.noWorker('planwright');
    expect(lines).toHaveLength(1);
    expect(lines[0]).toContain('no worker is polling task queue "planwright"');
    expect(lines[0]).toContain('planwright worker');
  });
});

describe('renderSummary', () => {
  it('names the run of each sub-goal step and the command that shows it', () => {
    const child = { workflowId: 'trip 7--hotel', runId: 'r1' };
    const summary = renderSummary(
      state({ steps: [{ id: 'hotel', title: 'Hotel', status: 'running', attempts: 0, child }] }),
    );
    expect(summary.split('\n').at(-1)).toBe(
      "Sub-goal hotel (running) runs as trip 7--hotel: planwright status 'trip 7--hotel'",
    );
  });
});

describe('a plan in the terminal', () => {
  it('shows the tools each open step may use, and what changed since the version before', () => {
    const v2 = {
      version: 2,
      steps: [
        { id: 'total', title: 'Count', dependsOn: [], tool: 'data_query', args: { file: 'x.csv' } },
        { id: 'draft', title: 'Draft', dependsOn: ['total'], tools: ['calculator'] },
        { id: 'note', title: 'Note', dependsOn: [] },
      ],
    };
    const changes = { added: ['draft'], removed: ['old'], changed: [{ id: 'total', fields: ['args'] }] };
    const running = state({
      plan: v2 as never,
      planHistory: [
        { version: 1, reason: 'initial plan', steps: [] },
        { version: 2, reason: 'revised', steps: v2.steps, changes },
      ],
    });
    expect(currentChanges(running)).toEqual(changes);
    expect(renderPlan(v2, currentChanges(running)).split('\n')).toEqual([
      'Plan v2 (3 steps)',
      '  changes since v1: + draft · − old · ~ total (args)',
      '  1. total — Count [data_query]',
      '  2. draft — Draft [executor: calculator]  after total',
      '  3. note — Note [executor: no tools]',
    ]);
  });
});
