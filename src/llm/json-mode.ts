/**
 * JSON mode, for servers without JSON-schema structured output or without tool support: the schema travels in
 * the prompt, and so do the tools, whose calls the model writes as JSON that is read back here.
 */
import type { ChatCompletionMessageParam, ChatCompletionTool } from 'openai/resources/chat/completions';
import type { ModelToolCall } from './completion.js';

/** The instruction that carries the schema in JSON mode. */
export function jsonModeRule(schema: unknown): string {
  return `Answer with one JSON object (no prose) that matches this JSON schema:\n${JSON.stringify(schema)}`;
}

/**
 * The executor's conversation for a server without tool support: the tools described in the prompt, earlier
 * calls as the JSON the model wrote, and their results as user messages.
 */
export function jsonToolMessages(
  messages: readonly ChatCompletionMessageParam[],
  tools: readonly ChatCompletionTool[],
): ChatCompletionMessageParam[] {
  const catalog = tools
    .flatMap((t) =>
      t.type === 'function'
        ? [
            `- ${t.function.name}: ${t.function.description ?? ''}\n  parameters: ${JSON.stringify(t.function.parameters ?? {})}`,
          ]
        : [],
    )
    .join('\n');
  const rule =
    'You may call tools. To call one or more, reply with only this JSON: ' +
    '{"tool_calls": [{"name": "<tool>", "arguments": {...}}]}. When you have the result, reply with only: ' +
    `{"answer": "<the step's result>"}.\nTools:\n${catalog}`;
  return [
    { role: 'system', content: rule },
    ...messages.map((m): ChatCompletionMessageParam => {
      if (m.role === 'assistant' && m.tool_calls?.length) {
        const calls = m.tool_calls.flatMap((c) =>
          c.type === 'function' ? [{ name: c.function.name, arguments: safeJson(c.function.arguments) }] : [],
        );
        return { role: 'assistant', content: JSON.stringify({ tool_calls: calls }) };
      }
      if (m.role === 'tool')
        return {
          role: 'user',
          content: `Result of tool call ${m.tool_call_id}:\n${typeof m.content === 'string' ? m.content : JSON.stringify(m.content)}`,
        };
      return m;
    }),
  ];
}

/** Reads the JSON a model wrote under {@link jsonToolMessages}: tool calls, or an answer (prose counts as one). */
export function parseJsonToolAnswer(content: string): { content: string; toolCalls: ModelToolCall[] } {
  const value = safeJson(content.trim().replace(/^```(?:json)?\s*|\s*```$/g, ''));
  if (value && typeof value === 'object' && !Array.isArray(value)) {
    const { tool_calls: calls, answer } = value as { tool_calls?: unknown; answer?: unknown };
    if (Array.isArray(calls) && calls.length > 0) {
      return {
        content: '',
        toolCalls: calls.map((c: { name?: unknown; arguments?: unknown }, i) => ({
          id: `json_call_${i}`,
          name: String(c?.name ?? ''),
          arguments: typeof c?.arguments === 'string' ? c.arguments : JSON.stringify(c?.arguments ?? {}),
        })),
      };
    }
    if (answer !== undefined)
      return { content: typeof answer === 'string' ? answer : JSON.stringify(answer), toolCalls: [] };
  }
  return { content, toolCalls: [] };
}

function safeJson(text: string): unknown {
  try {
    return JSON.parse(text) as unknown;
  } catch {
    return text;
  }
}
