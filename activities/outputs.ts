/**
 * Outputs kept in the output store, as activities see them: whose they are, and step reports with their outputs
 * loaded back.
 */
import type { Context } from '@temporalio/activity';
import type { Json } from '../src/contract/plan.js';
import type { OutputKeeper, OutputScope } from '../src/outputs/keeper.js';

/** Loads every output a list of step reports references that the run (`scope`) stored. */
export function loadReports<T extends { output?: Json }>(
  outputs: OutputKeeper,
  reports: readonly T[],
  scope: OutputScope,
): Promise<T[]> {
  return Promise.all(
    reports.map(async (r) => (r.output === undefined ? r : { ...r, output: await outputs.load(r.output, scope) })),
  );
}

/** Whose outputs an activity keeps: its run's namespace and workflow id. */
export function scopeOf(activity: Context): OutputScope {
  const { workflowNamespace, workflowExecution } = activity.info;
  return { namespace: workflowNamespace ?? 'default', workflowId: workflowExecution?.workflowId ?? 'standalone' };
}
