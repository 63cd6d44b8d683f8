/**
 * A run's own spans and metrics, made from the ledger's transitions as `Run.changed()` reports them: the run, each
 * plan version (with its reason), each step (tool, attempts, outcome, check), and waits for people as span events.
 *
 * Spans go through the tracer the interceptor module gives: in the traced bundle, traced.ts's, which exports them
 * through a sink that is not called during replay, so a replayed run adds none twice; in the bundle with metrics
 * only, OpenTelemetry's no-op one. Metrics go to the workflow's `metricMeter`, which the SDK also skips during
 * replay. Nothing here issues a command: history is the same with tracing on or off.
 * Only the bundles of workers that trace or export metrics hold this module (see telemetry-hook.ts).
 */
import { context, SpanStatusCode, trace, type Attributes, type Span, type Tracer } from '@opentelemetry/api';
import { log, metricMeter, workflowInfo } from '@temporalio/workflow';
import type { RunEvent, RunState } from '../src/contract/run-state.js';
import { ATTRIBUTES as A, METRICS } from '../src/telemetry/names.js';
import type { RunObserver } from './telemetry-hook.js';

/** The run's metrics, made on first use (the workflow's `metricMeter` works only inside a workflow). */
function makeMeters() {
  const m = metricMeter;
  return {
    runsStarted: m.createCounter(METRICS.runsStarted, 'runs', 'Runs started (not counting continuations)'),
    runsEnded: m.createCounter(METRICS.runsEnded, 'runs', 'Runs ended, by status'),
    runDuration: m.createHistogram(METRICS.runDuration, 'int', 'ms', 'Run duration, by status'),
    steps: m.createCounter(METRICS.steps, 'steps', 'Steps ended, by outcome'),
    stepDuration: m.createHistogram(METRICS.stepDuration, 'int', 'ms', 'Step duration, by outcome'),
    replans: m.createCounter(METRICS.replans, 'replans', 'Replanner decisions'),
    escalations: m.createCounter(METRICS.escalations, 'escalations', 'Steps escalated to a person'),
    waitsStarted: m.createCounter(METRICS.waitsStarted, 'waits', 'Runs that began to wait for a person'),
    waitsEnded: m.createCounter(METRICS.waitsEnded, 'waits', 'Runs that stopped waiting for a person'),
  };
}
let made: ReturnType<typeof makeMeters> | undefined;
const meters = () => (made ??= makeMeters());

/** Event kinds that end a step, and the outcome each means. */
const STEP_ENDS: Partial<Record<string, string>> = {
  'step-succeeded': 'succeeded',
  'step-failed': 'failed',
  'step-skipped': 'skipped',
};

/** Follows one run's transitions and turns them into spans and metrics. */
export class RunTelemetry implements RunObserver {
  private readonly run: Span;
  private plan: { span: Span; version: number } | undefined;
  private readonly steps = new Map<string, { span: Span; started: number }>();
  private seen: RunEvent | undefined;
  private waiting = false;
  private readonly started = Date.now();

  /**
   * Starts the run's span with this tracer (traced.ts's; OpenTelemetry's no-op one when the worker does not trace);
   * what the state holds already (a continued run's past) is not told again.
   */
  constructor(
    state: RunState,
    private readonly tracer: Tracer,
  ) {
    this.seen = state.events.at(-1);
    this.run = this.startRun(state);
  }

  /** Called after each transition of the ledger with the run's state. */
  observe(state: RunState): void {
    for (const event of unseen(state.events, this.seen)) this.onEvent(event, state);
    this.seen = state.events.at(-1);
    const waiting = state.status.startsWith('awaiting-');
    if (waiting !== this.waiting) {
      this.waiting = waiting;
      (waiting ? meters().waitsStarted : meters().waitsEnded).add(1, { status: state.status });
      this.run.addEvent(waiting ? 'waiting for a person' : 'a person answered', { [A.status]: state.status });
    }
  }

  /**
   * Runs `fn` with the step's span as the active one, so the activities and child runs it starts hang below the
   * step, and the lines it logs carry the step's ids (without tracing, it just runs `fn`).
   */
  inStep<T>(id: string, fn: () => T): T {
    const step = this.steps.get(id);
    return step ? context.with(trace.setSpan(context.active(), step.span), fn) : fn();
  }

  private startRun(state: RunState): Span {
    const info = workflowInfo();
    if (!info.continuedFromExecutionRunId) meters().runsStarted.add(1);
    return this.tracer.startSpan('planwright.run', {
      attributes: { [A.workflowId]: info.workflowId, [A.goal]: state.goal.slice(0, 500) },
    });
  }

  private child(name: string, attributes: Attributes): Span {
    const parent = trace.setSpan(context.active(), this.run);
    return this.tracer.startSpan(name, { attributes }, parent);
  }

  private onEvent(event: RunEvent, state: RunState): void {
    const run = this.run;
    const version = state.plan?.version;
    if (version !== undefined && version !== this.plan?.version) this.newPlan(version, state);
    if (event.type === 'replanned') meters().replans.add(1);
    if (event.type === 'escalated') meters().escalations.add(1);
    if (event.type === 'step-started' && event.stepId) this.startStep(event.stepId, state);
    else if (STEP_ENDS[event.type] && event.stepId) this.endStep(event.stepId, STEP_ENDS[event.type] as string, state);
    else if (event.type === 'step-checked' && event.stepId) {
      this.steps.get(event.stepId)?.span.setAttribute(A.stepCheck, event.message);
    } else if (event.type === 'run-finished' || event.type === 'continued-as-new') this.endRun(event, state);
    else (this.steps.get(event.stepId ?? '')?.span ?? run).addEvent(event.type, { message: event.message });
  }

  private newPlan(version: number, state: RunState): void {
    this.plan?.span.end();
    const entry = state.planHistory.at(-1);
    this.plan = {
      version,
      span: this.child(`plan v${version}`, {
        [A.planVersion]: version,
        [A.planReason]: entry?.version === version ? entry.reason : '',
        [A.planSteps]: state.plan?.steps.length ?? 0,
      }),
    };
  }

  private startStep(id: string, state: RunState): void {
    const tool = state.plan?.steps.find((s) => s.id === id)?.tool;
    const span = this.child(`step ${id}`, { [A.stepId]: id, ...(tool ? { [A.stepTool]: tool } : {}) });
    this.steps.set(id, { span, started: Date.now() });
  }

  private endStep(id: string, outcome: string, state: RunState): void {
    const step = this.steps.get(id);
    const record = state.steps.find((s) => s.id === id);
    meters().steps.add(1, { outcome });
    if (!step) return;
    meters().stepDuration.record(Date.now() - step.started, { outcome });
    step.span.setAttributes({ [A.stepOutcome]: outcome, [A.stepAttempts]: record?.attempts ?? 0 });
    if (outcome === 'failed') {
      step.span.setStatus({ code: SpanStatusCode.ERROR, message: record?.error ?? 'failed' });
      if (record?.error) step.span.setAttribute(A.stepError, record.error.slice(0, 1000));
      // The worker's log line (not written on replay) carries the step span's trace and span ids.
      this.inStep(id, () => log.info(`step ${id} failed: ${record?.error ?? 'no reason given'}`, { stepId: id }));
    }
    step.span.end();
    this.steps.delete(id);
  }

  private endRun(event: RunEvent, state: RunState): void {
    const run = this.run;
    for (const [id] of this.steps) this.endStep(id, 'cancelled', state);
    this.plan?.span.end();
    const { usage } = state;
    run.setAttributes({
      [A.status]: event.type === 'continued-as-new' ? 'continued-as-new' : state.status,
      'gen_ai.usage.input_tokens': usage.inputTokens,
      'gen_ai.usage.output_tokens': usage.outputTokens,
      [A.llmCalls]: usage.llmCalls,
      ...(usage.cost !== undefined ? { [A.cost]: usage.cost } : {}),
    });
    if (state.status === 'failed') run.setStatus({ code: SpanStatusCode.ERROR, message: state.failure?.message ?? '' });
    run.end();
    if (event.type === 'run-finished') {
      meters().runsEnded.add(1, { status: state.status });
      meters().runDuration.record(Date.now() - this.started, { status: state.status });
    }
  }
}

/** The events recorded after `seen` (all of them when it has been dropped from the bounded list). */
function unseen(events: readonly RunEvent[], seen: RunEvent | undefined): readonly RunEvent[] {
  if (!seen) return events;
  const at = events.lastIndexOf(seen);
  return at < 0 ? events.slice(-1) : events.slice(at + 1);
}
