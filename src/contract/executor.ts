/**
 * What an open step's executor is given and says back, shared by the workflow (which keeps the conversation) and
 * the model client (which renders it as chat messages).
 */
import type { Json } from './plan.js';

/** The outcome of one step, as the executor and synthesizer see it. */
export interface StepReport {
  id: string;
  title: string;
  status: string;
  output?: Json;
  error?: string;
}

/** One earlier turn of an executor's conversation: tool calls it asked for, or a tool's result. */
export type ExecutorTurn =
  | { role: 'assistant'; toolCalls: Array<{ id: string; tool: string; args: Json }> }
  | { role: 'tool'; callId: string; tool: string; output?: Json; error?: string };
