/**
 * `npm run bench -- tokens`: what the prompts cost. The demo's support-report run (a plan call, five tool steps, a
 * synthesis call) on the test kit with the scripted model, whose token counter (4 characters of a request's
 * messages a token) stands in for a tokenizer: the planner call's input tokens, the whole run's, and the sizes they
 * come from, once with the schema as the response format (`json_schema`, the default) and once in JSON mode
 * (`json_object`: the schema travels in the prompt).
 */
import type { WirePlan } from '../src/contract/plan.js';
import { parseRunInput } from '../src/contract/run-input.js';
import { DEMO_AGENTS } from '../src/demo/agents.js';
import { DEMO_GOAL, DEMO_WORKSPACE, demoScript } from '../src/demo/support-report.js';
import { scheduledRunInput } from '../src/schedules.js';
import { startTestKit } from '../src/testing/kit.js';
import { promptTokens } from '../src/testing/scripted-model.js';

/** Input tokens of one demo run in a structured output mode. */
interface RunTokens {
  /** The planner call's input tokens. */
  planner: number;
  /** The synthesis call's input tokens. */
  synthesis: number;
  /** The whole run's input tokens, as the run counted them. */
  run: number;
  /** Characters of the planner's system prompt (with the schema, in JSON mode). */
  plannerSystemChars: number;
  /** Characters of the response format sent with the planner call (none in JSON mode). */
  plannerFormatChars: number;
}

async function demoRunTokens(structuredOutput: 'json_schema' | 'json_object'): Promise<RunTokens> {
  await using kit = await startTestKit({
    script: demoScript(),
    workspace: DEMO_WORKSPACE,
    model: { structuredOutput },
  });
  const result = await (await kit.start({ goal: DEMO_GOAL })).result();
  if (result.status !== 'completed') throw new Error(`the demo run ended ${result.status}`);
  const [plan, synthesis] = kit.model.requests;
  if (plan?.phase !== 'plan' || synthesis?.phase !== 'synthesize') {
    throw new Error(`the demo run asked ${kit.model.requests.map((r) => r.phase).join(', ')}`);
  }
  const format = (plan.body.response_format as { json_schema?: unknown } | undefined)?.json_schema;
  return {
    planner: promptTokens(plan.messages),
    synthesis: promptTokens(synthesis.messages),
    run: result.usage.inputTokens,
    plannerSystemChars: String(plan.messages.find((m) => m.role === 'system')?.content ?? '').length,
    plannerFormatChars: format ? JSON.stringify(format).length : 0,
  };
}

/**
 * The demo run's input tokens with the schema as the response format, and in JSON mode; and the output tokens a plan
 * step takes, which size the planner's output cap (`PLAN_OUTPUT_TOKENS`, src/llm/config.ts).
 */
export async function benchTokens() {
  return {
    json_schema: await demoRunTokens('json_schema'),
    json_object: await demoRunTokens('json_object'),
    planStep: planStepTokens(),
  };
}

/**
 * Output tokens a plan step takes, measured on the plans the demos' scripted planners write (4 characters a token):
 * each step as a model writes it under the catalog's response format, every key present and args an object.
 */
export function planStepTokens(): { plans: number; steps: number; mean: number; max: number; rationaleMax: number } {
  const plans: WirePlan[] = [];
  for (const agent of Object.values(DEMO_AGENTS)) {
    const input = 'schedule' in agent ? scheduledRunInput(agent.input) : parseRunInput(agent.input);
    for (const entry of agent.script(input).plan ?? []) {
      if (typeof entry === 'object' && 'content' in entry) plans.push(entry.content as WirePlan);
    }
  }
  const asWritten = (step: WirePlan['steps'][number]) => ({
    ...step,
    args: typeof step.args === 'string' ? (JSON.parse(step.args) as unknown) : step.args,
    tools: step.tools ?? null,
  });
  const tokens = plans.flatMap((plan) => plan.steps.map((step) => JSON.stringify(asWritten(step)).length / 4));
  return {
    plans: plans.length,
    steps: tokens.length,
    mean: Math.round(tokens.reduce((a, b) => a + b, 0) / tokens.length),
    max: Math.round(Math.max(...tokens)),
    rationaleMax: Math.round(Math.max(...plans.map((plan) => (plan.rationale ?? '').length / 4))),
  };
}
