/**
 * The baseline for `npm run bench -- e2e`: a bare Temporal workflow that runs a DAG of tool calls as
 * activities, each as soon as its dependencies are done, with the same activity options planwright's tool
 * steps get, and nothing else (no planner, no state, no recovery).
 */
import { proxyActivities } from '@temporalio/workflow';
import { toolCall } from '../../workflows/activity-profiles.js';

/** One node of the DAG: a tool call that waits for `dependsOn`. */
export interface BareStep {
  id: string;
  tool: string;
  args: unknown;
  dependsOn: string[];
}

const { callTool } = proxyActivities<{ callTool(tool: string, args: unknown): Promise<unknown> }>(toolCall('5m'));

/** Runs every step once its dependencies are done; returns the outputs by step id. */
export async function bareDag(steps: BareStep[]): Promise<Record<string, unknown>> {
  const started = new Map<string, Promise<unknown>>();
  const run = (step: BareStep): Promise<unknown> => {
    let promise = started.get(step.id);
    if (!promise) {
      const deps = step.dependsOn.map((id) => run(steps.find((s) => s.id === id) as BareStep));
      promise = Promise.all(deps).then(() => callTool(step.tool, step.args));
      started.set(step.id, promise);
    }
    return promise;
  };
  const outputs = await Promise.all(steps.map(run));
  return Object.fromEntries(steps.map((s, i) => [s.id, outputs[i]]));
}
