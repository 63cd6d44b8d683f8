/**
 * Spans and metrics of the calls an activity makes: each model call (OpenTelemetry GenAI conventions) and each
 * tool call. They wrap the worker's `Model` and tools, so the activities stay as they are; a worker that neither
 * traces nor exports metrics keeps its model and tools unwrapped, and pays nothing.
 */
import { Context } from '@temporalio/activity';
import { SpanKind, SpanStatusCode, trace, type Span } from '@opentelemetry/api';
import type { Model } from '../llm/model.js';
import type { Phase } from '../llm/phase.js';
import { NO_CALLS, usageOfFailure, type TokenUsage } from '../llm/usage.js';
import type { Tool } from '../tools/define.js';
import { ATTRIBUTES as A, METRICS, TRACER_NAME } from './names.js';

/** The activity's metric meter (routed to the SDK runtime's exporter), when the call runs in an activity. */
function activityMeter() {
  try {
    return Context.current().metricMeter;
  } catch {
    return undefined;
  }
}

/** Runs `call` in a span of its own, ending the span with the call's outcome. */
async function inSpan<T>(name: string, attributes: Record<string, string>, call: (span: Span) => Promise<T>) {
  return trace.getTracer(TRACER_NAME).startActiveSpan(name, { kind: SpanKind.CLIENT, attributes }, async (span) => {
    try {
      return await call(span);
    } catch (err) {
      span.setStatus({ code: SpanStatusCode.ERROR, message: (err as Error).message });
      span.setAttribute('error.type', (err as { type?: string }).type ?? (err as Error).name);
      throw err;
    } finally {
      span.end();
    }
  });
}

/** Records a model call's usage on its span and in the metrics. */
function recordUsage(span: Span, usage: TokenUsage, finishReasons: string[], attributes: Record<string, string>) {
  span.setAttributes({
    'gen_ai.response.finish_reasons': finishReasons,
    'gen_ai.usage.input_tokens': usage.inputTokens,
    'gen_ai.usage.output_tokens': usage.outputTokens,
    [A.llmCalls]: usage.llmCalls,
    ...(usage.cost !== undefined ? { [A.cost]: usage.cost } : {}),
  });
  const meter = activityMeter();
  if (!meter) return;
  meter.createCounter(METRICS.modelCalls, 'calls', 'Model calls').add(usage.llmCalls, attributes);
  meter.createCounter(METRICS.inputTokens, 'tokens', 'Model input tokens').add(usage.inputTokens, attributes);
  meter.createCounter(METRICS.outputTokens, 'tokens', 'Model output tokens').add(usage.outputTokens, attributes);
  if (usage.cost) meter.createCounter(METRICS.cost, 'USD', 'Estimated model cost').add(usage.cost, attributes);
}

/**
 * The model with a `chat <model>` span around each call (`gen_ai.operation.name`, `gen_ai.request.model`,
 * `gen_ai.response.finish_reasons`, `gen_ai.usage.input_tokens` / `output_tokens`, the estimated cost) and the
 * model metrics. A call that fails still reports the tokens its failure carries.
 */
export function observedModel(model: Model, name: string): Model {
  const observe = async <T>(
    phase: Phase,
    call: () => Promise<{ value: T; usage: TokenUsage }>,
    reasons: (v: T) => string[],
  ) => {
    const attributes = { 'gen_ai.operation.name': 'chat', 'gen_ai.request.model': name, 'planwright.phase': phase };
    return inSpan(`chat ${name}`, attributes, async (span) => {
      const labels = { model: name, phase };
      try {
        const answer = await call();
        recordUsage(span, answer.usage, reasons(answer.value), labels);
        return answer;
      } catch (err) {
        const usage = usageOfFailure(err);
        if (usage !== NO_CALLS) recordUsage(span, usage, ['error'], labels);
        throw err;
      }
    });
  };
  return {
    name,
    structured: (request) =>
      observe(
        request.phase,
        () => model.structured(request),
        () => ['stop'],
      ),
    text: (request) =>
      observe(
        request.phase,
        () => model.text(request),
        (v) => [v.endsWith('[cut off at the output limit]') ? 'length' : 'stop'],
      ),
    converse: (request) =>
      observe(
        request.phase,
        () => model.converse(request),
        (v) => [v.toolCalls.length > 0 ? 'tool_calls' : 'stop'],
      ),
  };
}

/** The tools, each run in an `execute_tool <name>` span (`gen_ai.tool.name`) and counted by outcome. */
export function observedTools(tools: readonly Tool[]): Tool[] {
  return tools.map((tool) => {
    const run: Tool['run'] = (input, ctx) =>
      inSpan(
        `execute_tool ${tool.name}`,
        { 'gen_ai.operation.name': 'execute_tool', 'gen_ai.tool.name': tool.name },
        async (span) => {
          const count = (outcome: string) => {
            span.setAttribute(A.toolOutcome, outcome);
            activityMeter()
              ?.createCounter(METRICS.toolCalls, 'calls', 'Tool calls')
              .add(1, { tool: tool.name, outcome });
          };
          try {
            const output = await tool.run(input, ctx);
            count('ok');
            return output;
          } catch (err) {
            count('failed');
            throw err;
          }
        },
      );
    return { ...tool, run };
  });
}
