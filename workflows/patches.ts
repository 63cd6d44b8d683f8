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
 * A run's `PlanwrightStatus` is set as soon as the run knows the worker's search attributes, so a run that is
 * simply running says `running` (runs started before set it only once the status or the replan count changed).
 */
export const STATUS_SHOWN_FROM_THE_START = 'status-shown-from-the-start';

/**
 * Under `review: 'every-step'`, the replanner reviews the plan after the last step too, and may add steps (runs
 * started before reported once the last planned step was done).
 */
export const LAST_STEP_REVIEWED = 'last-step-reviewed';

/**
 * An open step's executor is offered only the tools its step names, and every call it asks for is checked (the
 * step's tools, the input schema, the caps per turn and per step, the tool-call budget) before it is scheduled;
 * runs started before offered every tool and ran every call.
 */
export const STEP_TOOL_PERMISSIONS = 'step-tool-permissions';

/**
 * A call of a tool that asks for approval (or that the run names in `approveTools`) waits for a person before it
 * runs; runs started before ran every call.
 */
export const TOOL_CALL_APPROVAL = 'tool-call-approval';

/**
 * Every change above up to `STEPS_STARTED_AS_STEPS_FINISH`, as one patch for the runs started with 0.7.x: such a
 * run records this one marker (and the one upsert of `TemporalChangeVersion` the SDK makes with each marker)
 * instead of one for each change it meets. Runs started before have no such marker and follow each change as
 * their history says.
 */
export const RELEASE_0_7 = 'release-0.7';

/** Every change of `RELEASE_0_7` and those since, as one patch for the runs started since 0.8.0. */
export const RELEASE_0_8 = 'release-0.8';

/** Every change of `RELEASE_0_8` and those since, as one patch for the runs started since 0.9.0. */
export const RELEASE_0_9 = 'release-0.9';

/** Every change of `RELEASE_0_9` and those since, as one patch for the runs started since 0.10.0. */
export const RELEASE_0_10 = 'release-0.10';

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

/** The changes `RELEASE_0_8` stands for. */
const IN_RELEASE_0_8: ReadonlySet<string> = new Set([...IN_RELEASE_0_7, STATUS_SHOWN_FROM_THE_START]);

/** The changes `RELEASE_0_9` stands for. */
const IN_RELEASE_0_9: ReadonlySet<string> = new Set([...IN_RELEASE_0_8, LAST_STEP_REVIEWED, STEP_TOOL_PERMISSIONS]);

/** The changes `RELEASE_0_10` stands for. */
const IN_RELEASE_0_10: ReadonlySet<string> = new Set([...IN_RELEASE_0_9, TOOL_CALL_APPROVAL]);

/** The release patches, newest first, each with the changes it stands for. */
const RELEASES: ReadonlyArray<readonly [patchId: string, changes: ReadonlySet<string>]> = [
  [RELEASE_0_10, IN_RELEASE_0_10],
  [RELEASE_0_9, IN_RELEASE_0_9],
  [RELEASE_0_8, IN_RELEASE_0_8],
  [RELEASE_0_7, IN_RELEASE_0_7],
];

/**
 * Whether this run follows the change `patchId` names: as `patched(patchId)` says, except that a run started since
 * a release follows every change of that release under its one marker (the newest release is asked first, so a
 * new run records only its marker; a run started with 0.7.x finds `RELEASE_0_7` in its history).
 */
export function follows(patchId: string): boolean {
  return RELEASES.some(([release, changes]) => changes.has(patchId) && patched(release)) || patched(patchId);
}
