/**
 * The modules every run of a worker thread shares (workflows/shared-modules.ts) still work once the Temporal SDK has
 * deep-frozen what they export, as it does before the first run: valid and invalid input, plans, carried-over
 * state, messages, and the run events of the stream. An exported zod schema (or a pattern a schema holds) would fail here, as it would in a worker.
 */
import { describe, expect, it } from 'vitest';
import * as plan from '../../src/contract/plan.js';
import * as runInput from '../../src/contract/run-input.js';
import * as runState from '../../src/contract/run-state.js';
import * as admission from '../../src/run/admission.js';
import * as resume from '../../src/run/resume.js';
import { newMemory } from '../../src/run/state.js';
import { validatePlan } from '../../src/plan/validate.js';
import * as derive from '../../src/stream/derive.js';
import * as topics from '../../src/stream/topics.js';

/** As the SDK freezes shared modules: objects through their properties, functions themselves only. */
function deepFreeze(value: unknown, seen = new WeakSet<object>()): void {
  if (value === null || (typeof value !== 'object' && typeof value !== 'function') || seen.has(value)) return;
  seen.add(value);
  if (typeof value === 'object') {
    for (const key of Reflect.ownKeys(value)) {
      try {
        deepFreeze((value as Record<PropertyKey, unknown>)[key], seen);
      } catch {
        // some objects cannot be frozen (typed arrays); the SDK skips them too
      }
    }
  }
  Object.freeze(value);
}

for (const module of [plan, runInput, runState, admission, resume, derive, topics]) {
  for (const exported of Object.values(module)) deepFreeze(exported);
}

const step = (id: string) => ({ id, title: id, dependsOn: [], tool: 'calculator', args: { expression: '1+1' } });
const limits = { tools: [{ name: 'calculator' }], maxSteps: 10 };

describe('shared modules, frozen as the SDK freezes them', () => {
  it('parse run inputs, and name what is wrong with bad ones', () => {
    expect(runInput.parseRunInput({ goal: 'a goal', approvalTimeout: '1h' }).approvalTimeout).toBe('1h');
    expect(() => runInput.parseRunInput({ goal: '', maxSteps: 0, extra: 1 })).toThrow(/goal must not be empty/);
  });

  it('validate plans, good and bad', () => {
    expect(validatePlan({ steps: [step('a'), { ...step('b'), dependsOn: ['a'] }] }, limits)).toEqual([]);
    const issues = validatePlan({ steps: [step('Bad Id'), { ...step('c'), fallback: { tool: 'x' } }] }, limits);
    expect(issues.map((i) => i.message).join('\n')).toMatch(/a step id is lower-case/);
  });

  it('check carried-over state and the shape of messages', () => {
    expect(() => resume.parseRunMemory({ state: {} })).toThrow(resume.InvalidResumeError);
    expect(admission.shapeProblem(admission.messageShapes().approvePlan, { version: 'one', extra: 1 })).toMatch(
      /unknown field "extra"|version/,
    );
    expect(plan.planFromWire({ rationale: null, steps: [] }).issues[0]?.message).toMatch(/at least one step/);
  });

  it('derive the stream’s run events', () => {
    const { state } = newMemory('derive events');
    const deriver = new derive.RunEventDeriver(state);
    const at = '2026-12-07T00:00:00.000Z';
    const next = {
      ...state,
      status: 'completed' as const,
      events: [{ type: 'run-finished' as const, message: 'done', at }],
    };
    expect(deriver.next(next).map((e) => e.kind)).toEqual(['run-finished']);
    expect(derive.preview('x'.repeat(300))).toHaveLength(derive.PREVIEW_CHARS + 1);
  });
});
