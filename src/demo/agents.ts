/**
 * The demo agents `planwright demo [name]` runs offline: each a goal, the tools and data it works with, the
 * scripted model's script, for runs that ask a person how the demo answers in that person's place, and for a
 * recurring goal the schedule it runs on.
 */
import getawayTools from '../../examples/getaway/tools.js';
import pipelineTools from '../../examples/pipeline/tools.js';
import researchTools from '../../examples/research/tools.js';
import type { ResolvedRunInput, RunInput } from '../contract/run-input.js';
import type { RunState } from '../contract/run-state.js';
import type { RunScheduleSpec } from '../schedules.js';
import type { Script } from '../testing/scripted-model.js';
import type { Tool } from '../tools/define.js';
import type { ResolveEscalation } from '../../workflows/messages.js';
import { GETAWAY_GOAL, GETAWAY_WORKSPACE, getawayScript } from './getaway.js';
import { PIPELINE_GOAL, PIPELINE_SCHEDULE, PIPELINE_WORKSPACE, pipelineScript } from './pipeline.js';
import { RESEARCH_GOAL, RESEARCH_MAX_REPLANS, RESEARCH_WORKSPACE, decideResearch, researchScript } from './research.js';
import { DEMO_GOAL, DEMO_WORKSPACE, demoScript } from './support-report.js';

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

/** The demo agents by name; `support-report` is the one `planwright demo` runs without a name. */
export const DEMO_AGENTS = {
  'support-report': {
    summary: 'Weekly customer-support report',
    input: { goal: DEMO_GOAL },
    workspace: DEMO_WORKSPACE,
    tools: [],
    script: () => demoScript(),
  },
  getaway: {
    summary: 'Weekend getaway from Berlin',
    input: { goal: GETAWAY_GOAL },
    workspace: GETAWAY_WORKSPACE,
    tools: getawayTools,
    script: () => getawayScript(),
  },
  research: {
    summary: 'Research brief: heat pumps in cold climates',
    input: { goal: RESEARCH_GOAL, maxReplans: RESEARCH_MAX_REPLANS },
    workspace: RESEARCH_WORKSPACE,
    tools: researchTools,
    script: (input) => researchScript(input.maxReplans),
    decide: decideResearch,
  },
  pipeline: {
    summary: 'Data pipeline: order exports into the warehouse',
    input: { goal: PIPELINE_GOAL, approval: 'plan' },
    workspace: PIPELINE_WORKSPACE,
    writesWorkspace: true,
    tools: pipelineTools,
    script: () => pipelineScript(PIPELINE_SCHEDULE.runs),
    reviewPlan: () => ({ approve: true }),
    schedule: PIPELINE_SCHEDULE,
  },
} as const satisfies Record<string, DemoAgent>;

/** The name of a demo agent. */
export type DemoName = keyof typeof DEMO_AGENTS;

/** The demo `planwright demo` runs when given no name. */
export const DEFAULT_DEMO: DemoName = 'support-report';
