/**
 * The model's work on steps and on the answer: the executor's turns of an open step, the check of a step's output
 * against its success criterion, and the synthesis of the final answer from what every step came to.
 */
import { Context } from '@temporalio/activity';
import { CheckVerdictSchema } from '../src/contract/check.js';
import type { ExecutorTurn, StepReport } from '../src/contract/executor.js';
import type { Json } from '../src/contract/plan.js';
import type { ToolInfo, ToolSummary } from '../src/contract/tools.js';
import type { Model } from '../src/llm/model.js';
import { checkerMessages, executorConversation, synthesizerMessages, type CheckerRequest } from '../src/llm/prompts.js';
import { NO_CALLS, type TokenUsage } from '../src/llm/usage.js';
import type { OutputKeeper } from '../src/outputs/keeper.js';
import { criterionProblem, parseCriterion } from '../src/plan/criterion.js';
import type { Tool } from '../src/tools/define.js';
import { answerPublisher, type AnswerPublisher } from '../src/stream/publish.js';
import { modelCall } from './heartbeat.js';
import { loadReports, scopeOf } from './outputs.js';

/** Input of `executeStep`: an open step, the results it depends on, the tools it may call, earlier turns. */
export interface ExecuteStepInput {
  goal: string;
  step: { id: string; title: string; description?: string; successCriterion?: string };
  inputs: StepReport[];
  /** Tools the executor may ask for (by name; the worker describes them); each call runs as its own `runTool` activity. */
  tools?: ToolSummary[];
  /** Earlier turns of this step's conversation (tool calls and their results). */
  turns?: ExecutorTurn[];
}
/**
 * A tool call the executor asked for. `problem` says why its arguments do not fit the tool's input schema (as
 * `path: message; …`), when the tool is one of the worker's; the workflow refuses such a call and tells the executor.
 */
export interface ExecutorCall {
  id: string;
  tool: string;
  args: Json;
  problem?: string;
}

/** Output of `executeStep`: the step's result, or tool calls to run before asking again. */
export type ExecuteStepOutput =
  | { kind: 'answer'; output: Json; attempt: number; usage: TokenUsage }
  | { kind: 'tool-calls'; calls: ExecutorCall[]; attempt: number; usage: TokenUsage };

/** Input of `checkOutput`: a step's output (or its reference) and the criterion it must meet. */
export type CheckOutputInput = CheckerRequest;
/** Output of `checkOutput`: whether the output passed, why, and what the check cost (nothing without a model). */
export interface CheckOutputOutput {
  passed: boolean;
  reason: string;
  usage: TokenUsage;
}

/** Input of `synthesize`: the goal and what every step came to. */
export interface SynthesizeInput {
  goal: string;
  steps: StepReport[];
  failure?: string;
}
/** Output of `synthesize`. */
export interface SynthesizeOutput {
  answer: string;
  usage: TokenUsage;
}

/** What the execution activities are built from. */
export interface ExecutionDependencies {
  model: Model;
  /** The worker's tools: the arguments of the calls the executor asks for are checked against their input. */
  tools: readonly Tool[];
  /** The worker's tool catalog: the tools an open step may ask for. */
  catalog: readonly ToolInfo[];
  outputs: OutputKeeper;
  contextTokens: number;
}

/** The execution activities of a worker. */
export function executionActivities({ model, tools, catalog, outputs, contextTokens }: ExecutionDependencies) {
  const infoByName = new Map(catalog.map((t) => [t.name, t]));
  const toolByName = new Map(tools.map((t) => [t.name, t]));

  return {
    /** One turn of an open step: the model answers, or asks for tool calls (which the workflow runs). */
    async executeStep(input: ExecuteStepInput): Promise<ExecuteStepOutput> {
      const activity = Context.current();
      const scope = scopeOf(activity);
      const inputs = await loadReports(outputs, input.inputs, scope);
      const turns = await Promise.all(
        (input.turns ?? []).map(async (turn) =>
          turn.role === 'tool' && turn.output !== undefined
            ? { ...turn, output: await outputs.load(turn.output, scope) }
            : turn,
        ),
      );
      // The step's prose goes to the run's `answer` topic while it is written, when that takes a while.
      const prose = answerOf(activity, { stepId: input.step.id, onlyWhenSlow: true });
      const { value, usage } = await published(prose, (onText) =>
        modelCall((onUsage) =>
          model.converse({
            onUsage,
            onText,
            phase: 'execute',
            messages: executorConversation({ ...input, inputs }, turns, contextTokens),
            tools: (input.tools ?? [])
              .flatMap((t) => infoByName.get(t.name) ?? [])
              .map((t) => ({
                type: 'function' as const,
                function: { name: t.name, description: t.description, parameters: t.inputSchema },
              })),
          }),
        ),
      );
      const attempt = activity.info.attempt;
      if (value.toolCalls.length === 0) {
        return { kind: 'answer', output: await outputs.keep(value.content, scope), attempt, usage };
      }
      const calls = value.toolCalls.map((call): ExecutorCall => {
        let args: Json;
        try {
          args = JSON.parse(call.arguments || '{}') as Json;
        } catch {
          // Bad JSON stays text: it fits no tool's input, and the problem says so in words the model can act on.
          args = call.arguments;
        }
        const problem = inputProblem(toolByName.get(call.name), args);
        return { id: call.id, tool: call.name, args, ...(problem === undefined ? {} : { problem }) };
      });
      return { kind: 'tool-calls', calls, attempt, usage };
    },

    /**
     * Checks a step's output against its success criterion: a checkable criterion (`$.path op value`) without a
     * model, a sentence by asking the model.
     */
    async checkOutput(input: CheckOutputInput): Promise<CheckOutputOutput> {
      const output = await outputs.load(input.output, scopeOf(Context.current()));
      const check = parseCriterion(input.criterion);
      if (check) {
        const problem = criterionProblem(output, check);
        return { passed: !problem, reason: problem ?? `${input.criterion} holds`, usage: NO_CALLS };
      }
      const { value, usage } = await modelCall((onUsage) =>
        model.structured({
          onUsage,
          phase: 'check',
          name: 'check_verdict',
          schema: CheckVerdictSchema,
          messages: checkerMessages({ ...input, output }, contextTokens),
        }),
      );
      return { ...value, usage };
    },

    /** Writes the final answer from the steps' results. */
    async synthesize(input: SynthesizeInput): Promise<SynthesizeOutput> {
      const activity = Context.current();
      const steps = await loadReports(outputs, input.steps, scopeOf(activity));
      const messages = synthesizerMessages({ ...input, steps }, contextTokens);
      // The answer goes to the run's `answer` topic as the model writes it.
      const { value, usage } = await published(answerOf(activity, {}), (onText) =>
        modelCall((onUsage) => model.text({ phase: 'synthesize', messages, onUsage, onText })),
      );
      return { answer: value, usage };
    },
  };
}

/** A publisher of the text a model writes for the run of `activity` (none outside a run: tests, tools). */
function answerOf(
  activity: Context,
  options: { stepId?: string; onlyWhenSlow?: boolean },
): AnswerPublisher | undefined {
  const run = activity.info.workflowExecution;
  if (!run || activity.info.isLocal) return undefined;
  let client;
  try {
    client = activity.client;
  } catch {
    return undefined; // an activity environment without a client (a test's)
  }
  return answerPublisher({ client, workflowId: run.workflowId, retry: activity.info.attempt > 1, ...options });
}

/**
 * Runs a model call that tells `publisher` its text, and closes the publisher after it. A stream that cannot be
 * published to never fails the call: the text reaches the run with the activity's result anyway.
 */
async function published<T>(
  publisher: AnswerPublisher | undefined,
  call: (onText: ((delta: string, restarted?: boolean) => void) | undefined) => Promise<T>,
): Promise<T> {
  if (!publisher) return call(undefined);
  try {
    return await call((delta, restarted) => publisher.text(delta, restarted));
  } finally {
    await publisher.close().catch((err: unknown) => {
      Context.current().log.warn(`the answer could not be published to the run's stream: ${String(err)}`);
    });
  }
}

/** Why `args` do not fit the input of `tool` (`path: message; …`), or undefined when they do or the tool is unknown. */
function inputProblem(tool: Tool | undefined, args: Json): string | undefined {
  const parsed = tool?.input.safeParse(args);
  if (!parsed || parsed.success) return undefined;
  return parsed.error.issues.map((i) => `${i.path.join('.') || '(input)'}: ${i.message}`).join('; ');
}
