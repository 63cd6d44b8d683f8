/**
 * What a run carries across continue-as-new, checked when it comes back in: a malformed `resume` fails the
 * run with a clear, non-retryable error instead of failing every workflow task.
 */
import { z } from 'zod';
import { builtOnce } from '../contract/built-once.js';
import { jsonSchema, planSchema, stepSchema } from '../contract/plan.js';
import { RUN_STATUSES } from '../contract/run-state.js';
import type { RunMemory } from './state.js';

const count = () => z.number().int().min(0);
const text = () => z.string();

const stepStateSchema = () =>
  z.object({
    id: text(),
    title: text(),
    status: z.enum(['pending', 'running', 'succeeded', 'failed', 'skipped', 'cancelled']),
    attempts: count(),
    output: jsonSchema().optional(),
    error: text().optional(),
    child: z.object({ workflowId: text(), runId: text() }).optional(),
  });

const runStateSchema = () =>
  z.object({
    status: z.enum(RUN_STATUSES),
    goal: text(),
    answer: text().optional(),
    plan: planSchema().extend({ version: count() }).optional(),
    planHistory: z.array(
      z.object({
        version: count(),
        reason: text(),
        steps: z.array(stepSchema()),
        changes: z
          .object({
            added: z.array(z.string()),
            removed: z.array(z.string()),
            changed: z.array(z.object({ id: z.string(), fields: z.array(z.string()) })),
          })
          .optional(),
      }),
    ),
    steps: z.array(stepStateSchema()),
    replans: count(),
    usage: z.object({
      llmCalls: count(),
      inputTokens: count(),
      outputTokens: count(),
      toolCalls: count(),
      cost: z.number().min(0).optional(),
      unpricedCalls: count().optional(),
    }),
    refusedToolCalls: count().optional(),
    events: z.array(z.object({ type: text(), stepId: text().optional(), message: text(), at: text() })),
    failure: z.object({ stepId: text().optional(), message: text() }).optional(),
    escalation: z.object({ stepId: text(), message: text() }).optional(),
  });

/** Zod schema of {@link RunMemory}. */
const runMemorySchema = builtOnce(() =>
  z.object({
    state: runStateSchema(),
    worker: z
      .object({
        tools: z.array(
          z.object({
            name: text(),
            // Runs started before tools were summarized carry descriptions and input schemas too.
            description: text().optional(),
            inputSchema: z.record(text(), jsonSchema()).optional(),
            outputSchema: z.record(text(), jsonSchema()).optional(),
            callOptions: z.record(text(), jsonSchema()).optional(),
          }),
        ),
        searchAttributes: z.array(text()),
      })
      .optional(),
    failuresInARow: count(),
    escalated: z.array(text()),
    goalChange: z.object({ goal: text(), reason: text().optional() }).optional(),
    reviewAfter: text().optional(),
    horizonReached: count().optional(),
    toolPermissions: z.boolean().optional(),
  }),
);

/** Thrown by {@link parseRunMemory} when carried-over state does not have the expected shape. */
export class InvalidResumeError extends Error {
  override readonly name = 'InvalidResumeError';
}

/**
 * Checks the state a run was continued with.
 * @throws {InvalidResumeError} naming every field that is wrong.
 */
export function parseRunMemory(raw: unknown): RunMemory {
  const parsed = runMemorySchema().safeParse(raw);
  if (parsed.success) return parsed.data as RunMemory;
  const problems = parsed.error.issues.slice(0, 10).map((i) => `${i.path.join('.') || 'resume'}: ${i.message}`);
  throw new InvalidResumeError(
    `the state this run was continued with is not valid (${problems.join('; ')}); planAndExecute takes one argument, a RunInput — start the run again without a second argument`,
  );
}

/**
 * The memory a run continues with: honoured only when the run was continued as new (`continuedFrom` is the run it
 * continues), so that no client can start a run past its planning and approval with a crafted second argument.
 * @throws {InvalidResumeError} when the run was not continued as new, or the memory is not valid.
 */
export function resumedMemory(raw: unknown, continuedFrom: string | undefined): RunMemory {
  if (continuedFrom === undefined) {
    throw new InvalidResumeError(
      'a second argument is taken only from the run itself, when it continues as new; planAndExecute takes one argument, a RunInput — start the run again without a second argument',
    );
  }
  return parseRunMemory(raw);
}
