/**
 * The model wrapper of a traced worker with a model that streams: the request reaches the model as given, its
 * listeners included, each piece of text is told inside the call's `chat` span, and the span ends once, after the
 * last piece, with the usage of the whole answer.
 */
import { trace } from '@opentelemetry/api';
import { InMemorySpanExporter, SimpleSpanProcessor } from '@opentelemetry/sdk-trace-base';
import { beforeAll, describe, expect, it } from 'vitest';
import type { Model } from '../../src/llm/model.js';
import { observedModel } from '../../src/telemetry/calls.js';
import { startTracing } from '../../src/telemetry/tracing.js';

const exporter = new InMemorySpanExporter();
beforeAll(() => void startTracing(new SimpleSpanProcessor(exporter)));

/** A model that tells its answer in pieces, over several turns of the event loop, as a streaming one does. */
const streaming: Model = {
  name: 'streamer',
  structured: () => Promise.reject(new Error('not asked')),
  converse: () => Promise.reject(new Error('not asked')),
  async text({ onText, onUsage }) {
    for (const piece of ['The ', 'answer ', 'is 42.']) {
      await new Promise((r) => setTimeout(r, 5));
      onText?.(piece);
    }
    const usage = { llmCalls: 1, inputTokens: 12, outputTokens: 5 };
    onUsage?.(usage);
    return { value: 'The answer is 42.', usage };
  },
};

describe('a streaming model call, observed', () => {
  it('tells each piece inside the call’s span, and ends the span once with the whole usage', async () => {
    exporter.reset();
    const told: { piece: string; span: string | undefined }[] = [];
    const usages: number[] = [];
    const answer = await observedModel(streaming, 'streamer').text({
      phase: 'synthesize',
      messages: [{ role: 'user', content: 'What is the answer?' }],
      onText: (piece) => told.push({ piece, span: trace.getActiveSpan()?.spanContext().spanId }),
      onUsage: (usage) => usages.push(usage.outputTokens),
    });
    expect(answer.value).toBe('The answer is 42.');
    expect(usages).toEqual([5]);
    const spans = exporter.getFinishedSpans();
    expect(spans.map((s) => s.name)).toEqual(['chat streamer']);
    const [chat] = spans as [(typeof spans)[0]];
    expect(told.map((t) => t.piece)).toEqual(['The ', 'answer ', 'is 42.']);
    expect(told.every((t) => t.span === chat.spanContext().spanId)).toBe(true);
    expect(chat.attributes).toMatchObject({
      'gen_ai.operation.name': 'chat',
      'gen_ai.request.model': 'streamer',
      'gen_ai.usage.input_tokens': 12,
      'gen_ai.usage.output_tokens': 5,
      'gen_ai.response.finish_reasons': ['stop'],
      'planwright.phase': 'synthesize',
    });
  });
});
