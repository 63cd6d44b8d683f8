import { describe, expect, it } from 'vitest';
import type { Step } from '../../src/contract/plan.js';
import type { RunState, StepState, StepStatus } from '../../src/contract/run-state.js';
import { renderDetails } from '../../src/run/details.js';

const run = { workflowId: 'wf-1' };

const step = (id: string, over: Partial<Step> = {}): Step => ({
  id,
  title: id.replace(/_/g, ' '),
  dependsOn: [],
  tool: 'data_query',
  args: { file: 'support-tickets.csv' },
  ...over,
});

const record = (s: Step, status: StepStatus, over: Partial<StepState> = {}): StepState => ({
  id: s.id,
  title: s.title,
  status,
  attempts: status === 'pending' ? 0 : 1,
  ...over,
});

/** A run state with one plan version per entry of `versions` (the last is current) and the given step records. */
function state(over: Partial<RunState> & { steps: StepState[]; planSteps?: Step[]; reasons?: string[] }): RunState {
  const { planSteps, reasons = ['initial plan'], ...rest } = over;
  const steps = planSteps ?? over.steps.map((s) => step(s.id, { title: s.title }));
  return {
    status: 'running',
    goal: 'Count the tickets',
    plan: { version: reasons.length, steps },
    planHistory: reasons.map((reason, i) => ({ version: i + 1, reason, steps })),
    replans: reasons.length - 1,
    usage: { llmCalls: 2, inputTokens: 1200, outputTokens: 345, toolCalls: 3, cost: 0.000387 },
    events: [],
    ...rest,
  };
}

const lines = (md: string) => md.split('\n');

/** The UI's markdown renderer takes a list only after a blank line; the UI cuts the last ~30 px off. */
function expectUiSafe(md: string) {
  const all = lines(md);
  all.forEach((line, i) => {
    if (line.startsWith('- ')) expect(all[i - 1] === '' || all[i - 1]?.startsWith('- ')).toBe(true);
  });
  expect(md.endsWith('\n\n\u00a0')).toBe(true);
}

describe('renderDetails', () => {
  it('links a sub-goal step to its own run in the Web UI, and shows the sub-goal while approving', () => {
    const hotel: Step = { id: 'hotel', title: 'Book the hotel', dependsOn: [], subgoal: 'Book a hotel in Lisbon' };
    const child = { workflowId: 'trip 1--hotel', runId: 'r-9' };
    const running = renderDetails(
      state({ status: 'running', planSteps: [hotel], steps: [record(hotel, 'running', { child })] }),
      { workflowId: 'trip 1', namespace: 'prod' },
    );
    expect(running).toContain(
      '- ▶ `hotel` Book the hotel · sub-goal run [`trip 1--hotel`](/namespaces/prod/workflows/trip%201--hotel/r-9/history)',
    );
    const approving = renderDetails(
      state({ status: 'awaiting-approval', planSteps: [hotel], steps: [record(hotel, 'pending')] }),
      run,
    );
    expect(approving).toContain('`hotel` Book the hotel · sub-goal: Book a hotel in Lisbon');
    expectUiSafe(running);
  });

  it('shows a completed run: status first, the goal, the answer, a checklist with icons and the usage', () => {
    const total = step('total', { title: 'Count all tickets' });
    const top = step('top_intent', { title: 'Find the top intent', dependsOn: ['total'] });
    const md = renderDetails(
      state({
        status: 'completed',
        answer: 'There were 318 tickets; billing leads.',
        planSteps: [total, top],
        steps: [
          record(total, 'succeeded', { output: { file: 'a.csv', groups: [{ key: 'a' }], matched: 318 } }),
          record(top, 'succeeded', { output: 'billing' }),
        ],
      }),
      run,
    );
    expect(md.startsWith('**✔ Completed** · plan v1\\\n**Goal:** Count the tickets\n\n')).toBe(true);
    expect(md).toContain('**Answer:** There were 318 tickets; billing leads.');
    expect(md).toContain(
      '**Steps (2):** 2 ✔ succeeded\n\n- ✔ `total` Count all tickets → `matched: 318, groups: [1], file: "a.csv"`',
    );
    expect(md).toContain('- ✔ `top_intent` Find the top intent → `"billing"`');
    expect(md.indexOf('`total`')).toBeLessThan(md.indexOf('`top_intent`'));
    expect(md).toContain('2 LLM calls · 1,545 tokens (1,200 in, 345 out) · ≈ $0.00039 · 3 tool calls');
    expect(md).not.toMatch(/\[[x!~ -]\]/);
    expect(md).not.toContain('Why plan');
    expect(md.length).toBeLessThan(2048);
    expectUiSafe(md);
  });

  it('flattens a markdown answer to one line', () => {
    const answer =
      '# Weekly report\n\n- **318 tickets** this week.\n- Top intent: `billing`\n\n## Next\n\n1. Add a FAQ';
    const md = renderDetails(state({ status: 'completed', answer, steps: [] }), run);
    expect(md).toContain(
      '**Answer:** Weekly report · 318 tickets this week. · Top intent: billing · Next · Add a FAQ\n',
    );
  });

  it('shows a partial run: the failure, the replanner reason and the failed step with its error', () => {
    const total = step('total');
    const missing = step('missing', { args: { file: 'nowhere.csv' }, dependsOn: ['total'] });
    const error = 'data_query failed: "nowhere.csv" does not exist in the workspace';
    const md = renderDetails(
      state({
        status: 'partial',
        answer: 'Only the total is known: 318 tickets.',
        replans: 1,
        planSteps: [total, missing],
        steps: [record(total, 'succeeded', { output: 318 }), record(missing, 'failed', { attempts: 2, error })],
        failure: { stepId: 'missing', message: `${error}; no replans left` },
        events: [{ type: 'replanned', message: 'continue as planned: try again', at: '2026-01-01T00:00:00.000Z' }],
      }),
      run,
    );
    expect(lines(md)[0]).toBe('**⚠ Partial** · plan v1 · 1 replan\\');
    expect(md).toContain('**Steps (2):** 1 ✔ succeeded · 1 ✘ failed');
    expect(md).toContain('**Replanner:** continue as planned: try again');
    expect(md).toContain('**Failure** at `missing`: data\\_query failed: "nowhere.csv" does not exist');
    expect(md).toContain('- ✘ `missing` missing (attempt 2)\n'); // its error is the failure, shown above
    expect(md.indexOf('**Failure**')).toBeLessThan(md.indexOf('- ✔'));
    expectUiSafe(md);
  });

  it('shows a failed run without a plan', () => {
    const md = renderDetails(
      {
        ...state({ status: 'failed', steps: [], failure: { message: 'no valid plan after 3 attempts' } }),
        plan: undefined,
      },
      run,
    );
    expect(lines(md)[0]).toBe('**✘ Failed** · no plan yet\\');
    expect(md).toContain('**Failure:** no valid plan after 3 attempts');
  });

  it('shows a plan awaiting approval: every step with its tool and arguments, and the commands to answer', () => {
    const total = step('total', { title: 'Count all tickets' });
    const byIntent = step('by_intent', {
      args: { file: 'support-tickets.csv', groupBy: 'intent' },
      dependsOn: ['total'],
    });
    const draft = step('draft', {
      tool: undefined,
      args: undefined,
      description: 'Write the report',
      dependsOn: ['by_intent'],
    });
    const md = renderDetails(
      state({
        status: 'awaiting-approval',
        reasons: ['initial plan', 'revised after rejection: group by intent'],
        replans: 0,
        planSteps: [total, byIntent, draft],
        steps: [record(total, 'pending'), record(byIntent, 'pending'), record(draft, 'pending')],
      }),
      run,
    );
    expect(lines(md)[0]).toBe('**⚑ Waiting for approval** · plan v2\\');
    expect(md).toContain('**Why plan v2:** revised after rejection: group by intent\n');
    // With what changed since v1 recorded (runs since 0.9.0), the person approving sees it.
    const withChanges = state({
      status: 'awaiting-approval',
      reasons: ['initial plan', 'revised after rejection: group by intent'],
      planSteps: [total, byIntent, draft],
      steps: [record(total, 'pending'), record(byIntent, 'pending'), record(draft, 'pending')],
    });
    withChanges.planHistory[1] = {
      ...withChanges.planHistory[1]!,
      changes: { added: ['by_intent'], removed: ['by_week'], changed: [{ id: 'draft', fields: ['dependsOn'] }] },
    };
    expect(renderDetails(withChanges, run)).toContain(
      '**Changes since v1:** + by\\_intent · − by\\_week · \\~ draft (dependsOn)',
    );
    expect(md).toContain('**Plan v2 waits for your approval** (its steps are below).\\\n');
    expect(md).toContain('Approve: `planwright approve wf-1`\\\n');
    expect(md).toContain('Reject: `planwright reject wf-1 --feedback "what to change"`\\\n');
    expect(md).toContain(
      `Temporal CLI: \`temporal workflow update execute -w wf-1 --name approvePlan --input '{"version":2}'\`\n`,
    );
    expect(md).toContain('- ○ `total` Count all tickets · `data_query` `{"file":"support-tickets.csv"}`');
    expect(md).toContain(
      '- ○ `by_intent` by intent · `data_query` `{"file":"support-tickets.csv","groupBy":"intent"}` · after `total`',
    );
    expect(md).toContain('- ○ `draft` draft · open task: Write the report · no tools · after `by_intent`');
    expect(md.indexOf('planwright approve')).toBeLessThan(md.indexOf('- ○'));
    expectUiSafe(md);
  });

  it('shows an escalated step: its error, the choices and the commands to decide', () => {
    const total = step('total');
    const lastYear = step('last_year', { args: { file: 'last-year.csv' } });
    const error = 'data_query failed: "last-year.csv" does not exist in the workspace';
    const md = renderDetails(
      state({
        status: 'awaiting-decision',
        planSteps: [total, lastYear],
        steps: [record(total, 'succeeded', { output: 318 }), record(lastYear, 'failed', { error })],
        escalation: { stepId: 'last_year', message: error },
      }),
      { workflowId: 'escalated 1' },
    );
    expect(lines(md)[0]).toBe('**⚑ Waiting for a decision** · plan v1\\');
    expect(md).toContain(
      '**Step `last_year` failed and waits for your decision:** data\\_query failed: "last-year.csv"',
    );
    expect(md).toContain('- ✘ `last_year` last year\n'); // its error is in the question above
    expect(md).toContain("Decide: `planwright resolve 'escalated 1' last_year retry|skip|replan|abort`\\\n");
    expect(md).toContain(
      'retry runs it again · skip goes on without it · replan asks for a new plan · abort ends the run',
    );
    expect(md).toContain(
      `Temporal CLI: \`temporal workflow update execute -w 'escalated 1' --name resolveEscalation --input '{"stepId":"last_year","decision":"skip"}'\``,
    );
  });

  it('shows tool calls waiting for approval, with their arguments and the commands that answer them', () => {
    const send = step('send', { tool: 'write_file', args: { path: 'out.txt' } });
    const call = (n: number) => ({
      callId: `send-call-${n}`,
      stepId: 'send',
      tool: 'write_file',
      args: { path: `out-${n}.txt` },
      reason: "write_file asks for a person's approval of every call",
      askedAt: '2026-01-01T00:00:00.000Z',
    });
    const md = renderDetails(
      state({
        status: 'awaiting-approval',
        planSteps: [send],
        steps: [record(send, 'running')],
        pendingCalls: [1, 2, 3, 4].map(call),
      }),
      { workflowId: 'run-1' },
    );
    expect(md).toContain(
      "**Tool call `send-call-1` waits for your approval:** step `send` calls `write_file` (write\\_file asks for a person's approval of every call)",
    );
    expect(md).toContain('Arguments: `{"path":"out-1.txt"}`');
    // The flag sits in a code span: the Web UI's markdown would turn a bare "--" into a dash.
    expect(md).toContain("Approve: `planwright approve run-1 --call send-call-1` (add `--args '{…}'` to change them)");
    expect(md).toContain('Reject: `planwright reject run-1 --call send-call-1 --reason "why"`');
    expect(md).toContain(
      `Temporal CLI: \`temporal workflow update execute -w run-1 --name approveToolCall --input '{"callId":"send-call-1"}'\``,
    );
    expect(md).toContain('… and 1 more tool call waiting (see the state query)');
    expect(md).not.toContain('planwright approve run-1\`'); // not a plan approval
    expectUiSafe(md);
  });

  it('shows the current goal and why the plan changed after a goal change', () => {
    const first = step('first', { tool: 'wait', args: { label: 'first', ms: 1500 } });
    const total = step('total', { dependsOn: ['first'] });
    const md = renderDetails(
      state({
        status: 'running',
        goal: 'Count the tickets by channel',
        reasons: ['initial plan', 'the goal changed to "Count the tickets by channel" (new priority): needs the count'],
        planSteps: [first, total],
        steps: [record(first, 'succeeded', { output: { label: 'first', waited: 1501 } }), record(total, 'running')],
        events: [
          { type: 'goal-changed', message: 'the goal changed', at: '2026-01-01T00:00:00.000Z' },
          { type: 'replanned', message: 'plan v2: needs the count', at: '2026-01-01T00:00:00.000Z' },
        ],
      }),
      run,
    );
    expect(lines(md)[0]).toBe('**▶ Running** · plan v2 · 1 replan\\');
    expect(md).toContain('**Goal (changed):** Count the tickets by channel\\\n');
    expect(md).toContain('**Why plan v2:** the goal changed to "Count the tickets by channel" (new priority)');
    expect(md).not.toContain('**Replanner:**'); // the same reason, already shown as why plan v2
    expect(md).toContain('- ▶ `total` total');
  });

  it('shows large outputs by size and preview, and keeps markdown in titles and arguments from breaking lines', () => {
    const fetch = step('fetch', { title: 'Fetch *all*\n# pages', tool: 'http_get', args: { url: 'https://x/`a`' } });
    const md = renderDetails(
      state({
        status: 'awaiting-approval',
        planSteps: [fetch],
        steps: [record(fetch, 'pending')],
      }),
      run,
    );
    expect(md).toContain('- ○ `fetch` Fetch \\*all\\* \\# pages · `http_get` ``{"url":"https://x/`a`"}``');
    const stored = renderDetails(
      state({
        status: 'completed',
        steps: [
          record(fetch, 'succeeded', { output: { ref: 'default/wf-1/abc', bytes: 48_213, preview: '{"rows":[1,2' } }),
        ],
      }),
      run,
    );
    expect(stored).toContain('→ 47.1 kB stored: `{"rows":[1,2`');
  });

  it('stays bounded for 1,000 steps, in plan order, showing what runs, failed and comes next', () => {
    const planSteps = Array.from({ length: 1000 }, (_, i) => step(`s${i}`, { title: `Step number ${i} `.repeat(10) }));
    const status = (i: number): StepStatus =>
      i < 600 ? 'succeeded' : i === 600 ? 'failed' : i < 604 ? 'running' : i === 700 ? 'skipped' : 'pending';
    const steps = planSteps.map((s, i) =>
      record(s, status(i), {
        output: { text: 'x'.repeat(500) },
        ...(status(i) === 'failed' ? { error: 'e'.repeat(2000) } : {}),
      }),
    );
    const md = renderDetails(
      state({ status: 'running', goal: 'g'.repeat(8000), planSteps, steps, failure: { message: 'f'.repeat(2000) } }),
      run,
    );
    expect(md.length).toBeLessThan(4096);
    expect(md).toContain(
      '**Steps (1000):** 600 ✔ succeeded · 1 ✘ failed · 3 ▶ running · 395 ○ pending · 1 ↷ skipped\n',
    );
    expectUiSafe(md);
    const listed = md.match(/^- \S+ `s\d+`/gm)?.map((l) => Number(l.replace(/\D+/g, ''))) ?? [];
    expect(listed).toEqual([...listed].sort((a, b) => a - b));
    expect(listed).toEqual(expect.arrayContaining([600, 601, 602, 603, 604, 605, 606]));
    expect(md).toMatch(/^- … and \d+ more succeeded$/m);
    expect(md).toMatch(/^- … and 93 more pending\n- ↷ `s700`.*\n- … and 299 more pending$/m);

    const approval = renderDetails(
      state({ status: 'awaiting-approval', planSteps, steps: planSteps.map((s) => record(s, 'pending')) }),
      run,
    );
    expect(approval.length).toBeLessThan(4096);
    expect(approval).toContain('planwright approve wf-1');
    expect(approval).toMatch(/^- … and 98\d more pending$/m);
  });
});
