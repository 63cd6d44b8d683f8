/**
 * Patch ids: each marks a change in the commands a run makes. Runs started before a change replay their old
 * path (`follows(id)` is false for them); remove a guard with `deprecatePatch` once no such run is left.
 */
import { patched } from '@temporalio/workflow';

/** Unusable model answers (cut off, or invalid after a repair) lead to a revision instead of ending the run. */
export const MODEL_ANSWERS_REVISED = 'model-answers-revised';

/**
 * Failed and rejected runs fail, and cancelled runs end Canceled, in Temporal's own status; a cancelled run
 * waits for its running activities to stop.
 */
export const HONEST_TEMPORAL_STATUS = 'honest-temporal-status';

/** Step outputs are checked against their success criteria (runs started before took every output as it came). */
export const OUTPUT_CHECKS = 'output-checks';

/** Updates that decide (approve, reject, resolve) answer with the status after the decision took effect. */
export const UPDATES_ANSWER_AFTER_DECISION = 'updates-answer-after-decision';

/** A run learns its worker's tools with its first planning call, not with a `describeWorker` call of its own. */
export const WORKER_DESCRIBED_WHILE_PLANNING = 'worker-described-while-planning';

/** A run that asks for approval adopts a cached plan that a person approved for an earlier run without asking again. */
export const CACHED_PLANS_APPROVED = 'cached-plans-approved';

/**
 * The scheduler is woken by each step that finishes, instead of racing the running steps, and a step's output goes
 * through the check only when there is something to check: fewer promises per step. Steps that finish in one
 * workflow task may be noticed in a different order, so runs started before keep the old scheduler.
 */
export const SCHEDULER_WOKEN_BY_STEPS = 'scheduler-woken-by-steps';

/**
 * A step that finishes starts the steps it made ready, instead of waking the scheduler's loop: two promises fewer
 * per step (each promise a workflow makes costs the SDK a stack trace). Steps that finish in one workflow task may
 * start their successors in a different order, so runs started before keep the loop (`SCHEDULER_WOKEN_BY_STEPS`).
 */
export const STEPS_STARTED_AS_STEPS_FINISH = 'steps-started-as-steps-finish';

/**
 * Every change above, as one patch for the runs started since 0.7.0: such a run records this one marker (and the
 * one upsert of `TemporalChangeVersion` the SDK makes with each marker) instead of one for each change it meets.
 * Runs started before have no such marker and follow each change as their history says. A change made later gets
 * a patch of its own.
 */
export const RELEASE_0_7 = 'release-0.7';

/** The changes `RELEASE_0_7` stands for. */
const IN_RELEASE_0_7: ReadonlySet<string> = new Set([
  MODEL_ANSWERS_REVISED,
  HONEST_TEMPORAL_STATUS,
  OUTPUT_CHECKS,
  UPDATES_ANSWER_AFTER_DECISION,
  WORKER_DESCRIBED_WHILE_PLANNING,
  CACHED_PLANS_APPROVED,
  SCHEDULER_WOKEN_BY_STEPS,
  STEPS_STARTED_AS_STEPS_FINISH,
]);

/**
 * Whether this run follows the change `patchId` names: as `patched(patchId)` says, except that a run started since
 * 0.7.0 follows every change of its release under the one marker of `RELEASE_0_7`.
 */
export function follows(patchId: string): boolean {
  return (IN_RELEASE_0_7.has(patchId) && patched(RELEASE_0_7)) || patched(patchId);
}
