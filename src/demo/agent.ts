/**
 * What a demo agent is: a goal, the tools and data it works with, the scripted model's script, the answers the
 * demo gives in a person's place, and for a recurring goal the schedule it runs on. The agents themselves are in
 * `agents.ts`.
 */
import type { ResolvedRunInput, RunInput } from '../contract/run-input.js';
import type { RunState } from '../contract/run-state.js';
import type { RunScheduleSpec } from '../schedules.js';
import type { Script } from '../testing/scripted-model.js';
import type { Tool } from '../tools/define.js';
import type { ResolveEscalation } from '../../workflows/messages.js';

/** A demo agent. */
export interface DemoAgent {
  /** One line for the Web UI's list of runs. */
  summary: string;
  /** The run's input besides the workspace's data: the goal and its options. */
  input: RunInput;
  /** Where its tools read their data. */
  workspace: string;
  /** Tools the demo worker offers besides the built-in ones. */
  tools: readonly Tool[];
  /** The scripted model's script for one run with this input. */
  script(input: ResolvedRunInput): Script;
  /** The decision the demo sends, in the person's place, when the run asks about a failed step. */
  decide?(state: RunState, input: ResolvedRunInput): Omit<ResolveEscalation, 'stepId'>;
  /** The answer the demo sends, in the person's place, when a plan waits for approval (runs with `approval`). */
  reviewPlan?(state: RunState, input: ResolvedRunInput): PlanReview;
  /** Its tools write into the workspace: the demo runs them in a temporary copy of it, removed afterwards. */
  writesWorkspace?: boolean;
  /** A recurring goal: the demo runs it on this schedule (see {@link DemoSchedule}) instead of starting one run. */
  schedule?: DemoSchedule;
}

/** A person's answer to a plan awaiting approval: approve it, or reject it with feedback for the planner. */
export type PlanReview = { approve: true } | { approve: false; feedback: string };

/**
 * The schedule of a recurring demo agent. The demo creates it paused (so that nothing but the demo starts its runs),
 * triggers `runs` runs one after the other, following each to its end (stopping after one that does not complete),
 * and deletes it.
 */
export interface DemoSchedule {
  /** The schedule's id; its runs get workflow ids `<id>-<time>`. */
  id: string;
  /** When it would start runs if it were not paused. */
  spec: RunScheduleSpec;
  /** How many runs the demo triggers. */
  runs: number;
}
