/**
 * The signature clients start `planAndExecute` with is the workflow's own: its input, and what it carries across
 * continue-as-new (memory and stream state). Checked by the type checker (`npm run typecheck`).
 */
import { expectTypeOf, it } from 'vitest';
import type { planAndExecute } from '../../workflows/plan-and-execute.js';
import type { PlanAndExecuteWorkflow } from '../../workflows/messages.js';

it('PlanAndExecuteWorkflow is the signature of planAndExecute, stream state included', () => {
  expectTypeOf<typeof planAndExecute>().toEqualTypeOf<PlanAndExecuteWorkflow>();
  expectTypeOf<Parameters<PlanAndExecuteWorkflow>>().toHaveProperty('2');
});
