/**
 * parseRunMemory: what a run carries across continue-as-new is checked when it comes back in, and a
 * malformed one is refused with an error that names the wrong field and says what to do.
 */
import { describe, expect, it } from 'vitest';
import type { VersionedPlan } from '../../src/contract/plan.js';
import { InvalidResumeError, parseRunMemory } from '../../src/run/resume.js';
import { adoptPlan, newMemory, recordEvent, type RunMemory } from '../../src/run/state.js';
import { builtinTools } from '../../src/tools/builtin.js';
import { toolInfo } from '../../src/tools/define.js';

const WHAT_TO_DO = 'start the run again without a second argument';

const plan: VersionedPlan = {
  version: 1,
  rationale: 'count, then compute the share',
  steps: [
    { id: 'total', title: 'Count tickets', dependsOn: [], tool: 'data_query', args: { file: 'tickets.csv' } },
    {
      id: 'share',
      title: 'Share of refunds',
      dependsOn: ['total'],
      tool: 'calculator',
      args: { expression: '92 / {{total.value}} * 100' },
      critical: false,
      fallback: { tool: 'calculator', args: { expression: '0' } },
    },
    { id: 'explain', title: 'Explain the share', dependsOn: ['share'], successCriterion: 'one paragraph' },
  ],
};

/** The memory of a run in the middle of its plan: one step done (its output stored), one failed once. */
function midRunMemory(): RunMemory {
  const memory = newMemory('Report the share of refund tickets');
  adoptPlan(memory.state, plan, 'initial plan');
  const [total, share] = memory.state.steps;
  Object.assign(total!, {
    status: 'succeeded',
    attempts: 1,
    output: { ref: 'default/wf-1/ab12', bytes: 300_000, preview: '{"value":318' },
  });
  Object.assign(share!, {
    status: 'failed',
    attempts: 2,
    error: 'division by zero',
    child: { workflowId: 'wf-1--share', runId: 'r-1' },
  });
  memory.state.usage = { llmCalls: 3, inputTokens: 1200, outputTokens: 400, toolCalls: 3 };
  recordEvent(memory.state, { type: 'step-succeeded', stepId: 'total', message: 'done', at: '2025-01-01T00:00:00Z' });
  memory.worker = { tools: builtinTools.map(toolInfo), searchAttributes: ['PlanwrightStatus'] };
  memory.failuresInARow = 1;
  memory.escalated = ['share'];
  memory.goalChange = { goal: 'Report the share of billing tickets', reason: 'wider question' };
  memory.reviewAfter = 'total';
  return memory;
}

/** The error `parseRunMemory` throws for `raw`. */
function refusal(raw: unknown): InvalidResumeError {
  try {
    parseRunMemory(raw);
  } catch (err) {
    expect(err).toBeInstanceOf(InvalidResumeError);
    return err as InvalidResumeError;
  }
  return expect.unreachable(`expected ${JSON.stringify(raw)?.slice(0, 100)} to be refused`);
}

describe('parseRunMemory', () => {
  it('accepts the memory of a new run', () => {
    const memory = newMemory('Count tickets');
    expect(parseRunMemory(memory)).toEqual(memory);
  });

  it('accepts the memory of a run in the middle of its plan, losing nothing', () => {
    const memory = midRunMemory();
    // Through JSON, as continue-as-new carries it.
    expect(parseRunMemory(JSON.parse(JSON.stringify(memory)))).toEqual(memory);
  });

  it('refuses a resume that is not an object, saying what to do', () => {
    const err = refusal('garbage');
    expect(err.name).toBe('InvalidResumeError');
    expect(err.message).toMatch(/^the state this run was continued with is not valid \(resume: /);
    expect(err.message).toContain(WHAT_TO_DO);
  });

  it('refuses an empty object, naming each missing field', () => {
    const err = refusal({});
    expect(err.message).toMatch(/\(state: [^;]*; failuresInARow: [^;]*; escalated: [^)]*\)/);
    expect(err.message).toContain('planAndExecute takes one argument, a RunInput');
    expect(err.message).toContain(WHAT_TO_DO);
  });

  it('refuses a step with a status that does not exist, naming its path', () => {
    const memory = midRunMemory();
    const raw = JSON.parse(JSON.stringify(memory)) as { state: { steps: Array<{ status: string }> } };
    raw.state.steps[0]!.status = 'weird';
    const err = refusal(raw);
    expect(err.message).toMatch(/\(state\.steps\.0\.status: [^;)]*"succeeded"[^;)]*\)/);
    expect(err.message).toContain(WHAT_TO_DO);
  });

  it('names at most ten problems', () => {
    const raw = JSON.parse(JSON.stringify(midRunMemory())) as { state: { steps: Array<{ status: string }> } };
    const steps = Array.from({ length: 12 }, (_, i) => ({ id: `s${i}`, title: 'x', status: 'weird', attempts: 0 }));
    raw.state.steps = steps;
    const err = refusal(raw);
    expect(err.message.match(/state\.steps\.\d+\.status/g)).toHaveLength(10);
    expect(err.message).not.toContain('state.steps.10.status');
  });
});
