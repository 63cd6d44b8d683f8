/**
 * The activities as the workflow calls them, one proxy per option profile.
 */
import { ActivityCancellationType, proxyActivities, type ActivityOptions } from '@temporalio/workflow';
import { HONEST_TEMPORAL_STATUS, follows } from './patches.js';
import type { Activities } from '../activities/index.js';
import { llmCall, localCall, toolCall } from './activity-profiles.js';

/** Model calls: planner, replanner, executor, synthesizer. */
export const llm = proxyActivities<Activities>(llmCall);
/** Quick calls to the worker itself. */
export const local = proxyActivities<Activities>(localCall);
/** Tool calls (per-call options carry the run's step timeout). */
export const tools = proxyActivities<Activities>(toolCall('5m'));

/**
 * A profile with a one-line summary for the Web UI. A cancelled run waits for each activity to confirm its
 * cancellation, so none is left "cancel requested" (runs started before that rule only ask).
 */
export function summarized(profile: ActivityOptions, summary: string): ActivityOptions {
  return {
    ...profile,
    summary: summary.length > 190 ? `${summary.slice(0, 189)}…` : summary,
    cancellationType: follows(HONEST_TEMPORAL_STATUS)
      ? ActivityCancellationType.WAIT_CANCELLATION_COMPLETED
      : ActivityCancellationType.TRY_CANCEL,
  };
}
