/**
 * The baselines for `npm run bench -- e2e`: bare Temporal workflows with none of planwright's own machinery
 * (no validation, state, query, Current Details, recovery, activity summaries).
 *
 * - `barePlanAndExecute` runs the same activities as a planwright run, with the same options: the worker's
 *   description, the planner, every step's tool as soon as its dependencies are done, the synthesizer.
 * - `bareDag` runs only the tool calls of a DAG given to it.
 */
import { proxyActivities } from '@temporalio/workflow';
import type { Activities } from '../../activities/index.js';
import type { Json } from '../../src/contract/plan.js';
import { llmCall, localCall, toolCall } from '../../workflows/activity-profiles.js';

/** One node of the DAG: a tool call that waits for `dependsOn`. */
export interface BareStep {
  id: string;
  tool: string;
  args: unknown;
  dependsOn: string[];
}

const { callTool } = proxyActivities<{ callTool(tool: string, args: unknown): Promise<unknown> }>(toolCall('5m'));
const llm = proxyActivities<Activities>(llmCall);
const local = proxyActivities<Activities>(localCall);
const tools = proxyActivities<Activities>(toolCall('5m'));

/** Runs every step once its dependencies are done, each with `call`; returns the outputs by step id. */
async function runDag(steps: BareStep[], call: (step: BareStep) => Promise<unknown>) {
  const started = new Map<string, Promise<unknown>>();
  const run = (step: BareStep): Promise<unknown> => {
    let promise = started.get(step.id);
    if (!promise) {
      const deps = step.dependsOn.map((id) => run(steps.find((s) => s.id === id) as BareStep));
      promise = Promise.all(deps).then(() => call(step));
      started.set(step.id, promise);
    }
    return promise;
  };
  const outputs = await Promise.all(steps.map(run));
  return Object.fromEntries(steps.map((s, i) => [s.id, outputs[i]]));
}

/** Runs the tool calls of a DAG; returns the outputs by step id. */
export async function bareDag(steps: BareStep[]): Promise<Record<string, unknown>> {
  return runDag(steps, (step) => callTool(step.tool, step.args));
}

/** Plans with the planner activity, runs the plan's tool steps, and has the synthesizer write the answer. */
export async function barePlanAndExecute(goal: string): Promise<string> {
  const { tools: catalog } = await local.describeWorker();
  const { plan } = await llm.createPlan({ goal, maxSteps: 50 });
  if (!plan) throw new Error('the planner gave no plan');
  const steps = plan.steps.map((s) => ({ id: s.id, tool: s.tool ?? '', args: s.args ?? {}, dependsOn: s.dependsOn }));
  const outputs = await runDag(steps, async (step) => {
    const own = catalog.find((t) => t.name === step.tool)?.callOptions;
    const out = await tools.runTool.executeWithOptions(toolCall('5m', own), [
      { stepId: step.id, tool: step.tool, args: step.args as Json },
    ]);
    return out.output;
  });
  const reports = plan.steps.map((s) => ({
    id: s.id,
    title: s.title,
    status: 'succeeded',
    output: outputs[s.id] as Json,
  }));
  const { answer } = await llm.synthesize({ goal, steps: reports });
  return answer;
}
