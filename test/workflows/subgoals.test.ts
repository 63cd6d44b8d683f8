/**
 * Sub-goals on the time-skipping server: a step that is a goal of its own runs as a child `planAndExecute` run,
 * whose answer is the step's output; depth and fan-out are bounded; approvals follow `subgoals.approval`; a child
 * that does not complete fails its step into the normal recovery; cancelling the parent cancels the children.
 */
import { describe, expect, it } from 'vitest';
import type { CreatePlanInput } from '../../activities/index.js';
import type { Plan, Step } from '../../src/contract/plan.js';
import type { RunResult } from '../../src/contract/run-state.js';
import { runResult } from '../../src/run-result.js';
import { approvePlanUpdate, stateQuery } from '../../workflows/messages.js';
import { ONE_CALL, mockActivities, planned } from '../support/mock-activities.js';
import { calcStep, timeSkippingSuite, toolsAnswering, until, type Handle } from '../support/run-workflow.js';

const { run, env } = timeSkippingSuite();

const PARENT = 'Plan a weekend in Lisbon';
const HOTEL = 'Find a hotel in Lisbon for two nights';

const subgoal = (id: string, goal: string, dependsOn: string[] = []): Step => ({
  id,
  title: `Sub-goal ${id}`,
  dependsOn,
  subgoal: goal,
});

/** A planner answering by goal: the parent's plan, or a child's. */
function plannerByGoal(plans: Record<string, Plan>, asked: CreatePlanInput[] = []) {
  return async (input: CreatePlanInput) => {
    asked.push(input);
    const plan = plans[input.goal];
    if (!plan) throw new Error(`no plan scripted for goal "${input.goal}"`);
    return planned(plan);
  };
}

/** A synthesizer answering with the goal it was asked about. */
const synthesizeGoal = async ({ goal }: { goal: string }) => ({ answer: `answer to: ${goal}`, usage: ONE_CALL });

describe('sub-goals', () => {
  it("runs a sub-goal as a child run whose answer is the step's output, counting its usage", async () => {
    const asked: CreatePlanInput[] = [];
    const tools = toolsAnswering({ flights: { value: 120 }, rooms: { value: 90 } });
    let parentId = '';
    const result = await run(
      mockActivities({
        createPlan: plannerByGoal(
          {
            [PARENT]: { steps: [calcStep('flights'), subgoal('hotel', HOTEL, ['flights'])] },
            [HOTEL]: { steps: [calcStep('rooms')] },
          },
          asked,
        ),
        runTool: tools.runTool,
        synthesize: synthesizeGoal,
      }),
      { goal: PARENT, subgoals: { maxDepth: 1 } },
      async (handle) => {
        parentId = handle.workflowId;
      },
    );
    expect(result.status).toBe('completed');
    const hotel = result.steps.find((s) => s.id === 'hotel');
    expect(hotel?.output).toBe(`answer to: ${HOTEL}`);
    expect(hotel?.child?.workflowId).toBe(`${parentId}--hotel`);
    // Parent: plan + answer; child: plan + answer.
    expect(result.usage.llmCalls).toBe(4);
    expect(result.usage.toolCalls).toBe(2);

    const [parentAsk, childAsk] = asked;
    expect(parentAsk?.subgoals).toEqual({ maxFanOut: 4 });
    expect(childAsk?.subgoals).toBeUndefined(); // one level below the parent: no deeper sub-goals
    expect(childAsk?.context).toEqual({
      partOf: PARENT,
      step: 'Sub-goal hotel',
      inputs: { flights: { value: 120 } },
    });

    const child = await env().client.workflow.getHandle(hotel!.child!.workflowId).describe();
    expect(child.parentExecution?.workflowId).toBe(parentId);
    expect(child.status.name).toBe('COMPLETED');
    expect(result.events.some((e) => e.type === 'subgoal-started' && e.stepId === 'hotel')).toBe(true);
  });

  it('fails the step when its child run fails, and recovers as from any failed step', async () => {
    let replanAsked = '';
    const result = await run(
      mockActivities({
        createPlan: plannerByGoal({
          [PARENT]: { steps: [calcStep('flights'), subgoal('hotel', HOTEL)] },
          [HOTEL]: { steps: [calcStep('rooms')] },
        }),
        runTool: toolsAnswering({ flights: { value: 120 } }).runTool, // 'rooms' is broken
        replan: async (input) => {
          if (input.goal === HOTEL)
            return { decision: { action: 'continue', reason: 'try again' }, issues: [], usage: ONE_CALL };
          replanAsked = input.failure?.message ?? '';
          return {
            decision: { action: 'revise', reason: 'no hotel: skip it', steps: [calcStep('camp')] },
            issues: [],
            usage: ONE_CALL,
          };
        },
        synthesize: synthesizeGoal,
      }),
      { goal: PARENT, maxReplans: 1, subgoals: { maxDepth: 1 } },
    );
    expect(replanAsked).toMatch(/^the sub-goal run .*--hotel ended: run failed: .*rooms is broken/);
    // The revision replaced the failed sub-goal; the old plan keeps its record.
    expect(result.steps.map((s) => [s.id, s.status])).toEqual([
      ['flights', 'succeeded'],
      ['camp', 'failed'], // the mock has no output for it either
    ]);
    expect(result.planHistory[0]?.steps.map((s) => s.id)).toEqual(['flights', 'hotel']);
    // The failed child's own model calls (plan, one replan) count toward the parent's usage.
    expect(result.usage.llmCalls).toBeGreaterThanOrEqual(4);
  });

  it('refuses sub-goal steps in runs that may not start them, and more than maxFanOut of them', async () => {
    const revisions: string[] = [];
    const plans = [{ steps: [subgoal('a', 'A'), subgoal('b', 'B')] }, { steps: [calcStep('a'), subgoal('b', HOTEL)] }];
    const result = await run(
      mockActivities({
        createPlan: async (input) =>
          planned(input.goal === HOTEL ? { steps: [subgoal('deeper', 'Too deep')] } : plans.shift()!),
        revisePlan: async (input) => {
          revisions.push(input.revise?.issues.map((i) => i.message).join(' | ') ?? '');
          return planned(input.goal === HOTEL ? { steps: [calcStep('rooms')] } : plans.shift()!);
        },
        runTool: toolsAnswering({ a: { value: 1 }, rooms: { value: 2 } }).runTool,
        synthesize: synthesizeGoal,
      }),
      { goal: PARENT, subgoals: { maxDepth: 1, maxFanOut: 1 } },
    );
    expect(result.status).toBe('completed');
    expect(revisions).toEqual([
      'the plan has 2 sub-goal steps; at most 1 are allowed (subgoals.maxFanOut): merge some, or make them tool or open steps',
      'is a sub-goal, but this run may not start sub-goals (its subgoals.maxDepth is 0): make it a tool step or an open step',
    ]);
  });

  it('asks for approval of a child plan as subgoals.approval says, on the child run', async () => {
    const result = await run(
      mockActivities({
        createPlan: plannerByGoal({
          [PARENT]: { steps: [subgoal('hotel', HOTEL)] },
          [HOTEL]: { steps: [calcStep('rooms')] },
        }),
        runTool: toolsAnswering({ rooms: { value: 90 } }).runTool,
        synthesize: synthesizeGoal,
      }),
      { goal: PARENT, subgoals: { maxDepth: 1, approval: 'plan' } },
      async (handle) => {
        const child = await childHandle(handle, 'hotel');
        await until(child, (s) => s.status === 'awaiting-approval');
        expect((await handle.query(stateQuery)).status).toBe('running'); // the parent itself needed no approval
        await child.executeUpdate(approvePlanUpdate, { args: [{ version: 1 }] });
      },
    );
    expect(result.status).toBe('completed');
    expect(result.steps[0]?.output).toBe(`answer to: ${HOTEL}`);
  });

  it('cancels the children when the parent is cancelled, and ends both cancelled', async () => {
    let childEnd: RunResult | undefined;
    let childStatus = '';
    const result = await run(
      mockActivities({
        createPlan: plannerByGoal({
          [PARENT]: { steps: [subgoal('hotel', HOTEL)] },
          [HOTEL]: { steps: [calcStep('rooms')] },
        }),
      }),
      { goal: PARENT, approval: 'plan', subgoals: { maxDepth: 1 } },
      async (handle) => {
        await until(handle, (s) => s.status === 'awaiting-approval');
        await handle.executeUpdate(approvePlanUpdate, { args: [{ version: 1 }] });
        const child = await childHandle(handle, 'hotel'); // inherits approval: 'plan', so it waits
        await until(child, (s) => s.status === 'awaiting-approval');
        await handle.cancel();
        childEnd = await runResult(child); // while the worker still answers its state query
        childStatus = (await child.describe()).status.name;
      },
    );
    expect(result.status).toBe('cancelled');
    expect(result.steps.map((s) => [s.id, s.status])).toEqual([['hotel', 'cancelled']]);
    expect(childStatus).toBe('CANCELLED');
    expect(childEnd?.status).toBe('cancelled');
  });

  it('fails only the step when someone cancels the child run itself', async () => {
    const result = await run(
      mockActivities({
        createPlan: plannerByGoal({
          [PARENT]: { steps: [calcStep('flights'), subgoal('hotel', HOTEL), calcStep('after', ['hotel'])] },
          [HOTEL]: { steps: [calcStep('rooms')] },
        }),
        runTool: toolsAnswering({ flights: { value: 1 } }).runTool,
        synthesize: synthesizeGoal,
      }),
      { goal: PARENT, maxReplans: 0, subgoals: { maxDepth: 1, approval: 'plan' } },
      async (handle) => {
        const child = await childHandle(handle, 'hotel');
        await until(child, (s) => s.status === 'awaiting-approval');
        await child.cancel();
      },
    );
    expect(result.status).toBe('partial');
    expect(result.steps.find((s) => s.id === 'hotel')?.error).toMatch(/^the sub-goal run .*--hotel was cancelled$/);
    expect(result.steps.find((s) => s.id === 'flights')?.status).toBe('succeeded');
  });
});

/** The child run of a sub-goal step, once the parent has started it. */
async function childHandle(parent: Handle, stepId: string) {
  const state = await until(parent, (s) => s.steps.some((step) => step.id === stepId && step.child !== undefined));
  const child = state.steps.find((s) => s.id === stepId)?.child;
  return env().client.workflow.getHandle(child!.workflowId) as Handle;
}
