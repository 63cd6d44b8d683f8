/**
 * Output checks: what a model answers when it judges a step's output against the step's success criterion.
 */
import { z } from 'zod';

/** A model's verdict on a step's output (strict structured output: every key required). */
export const CheckVerdictSchema = z
  .object({
    passed: z.boolean().describe('true when the output meets the criterion'),
    reason: z.string().describe('one sentence: what in the output meets or misses the criterion'),
  })
  .strict();

/** A model's verdict on a step's output. */
export type CheckVerdict = z.infer<typeof CheckVerdictSchema>;
