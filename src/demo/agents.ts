/**
 * The demo agents `planwright demo [name]` runs offline: each a goal, the tools and data it works with, the
 * scripted model's script, for runs that ask a person how the demo answers in that person's place, and for a
 * recurring goal the schedule it runs on.
 */
import getawayTools from '../../examples/getaway/tools.js';
import pipelineTools from '../../examples/pipeline/tools.js';
import researchTools from '../../examples/research/tools.js';
import type { DemoAgent } from './agent.js';
import { GETAWAY_GOAL, GETAWAY_WORKSPACE, getawayScript } from './getaway.js';
import { PIPELINE_GOAL, PIPELINE_SCHEDULE, PIPELINE_WORKSPACE, pipelineScript } from './pipeline.js';
import { RESEARCH_GOAL, RESEARCH_MAX_REPLANS, RESEARCH_WORKSPACE, decideResearch, researchScript } from './research.js';
import { DEMO_GOAL, DEMO_WORKSPACE, demoScript } from './support-report.js';

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
