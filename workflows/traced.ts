/**
 * The workflow interceptor module of the traced bundle (`TRACED_BUNDLE_OPTIONS`, src/telemetry/bundle.ts): Temporal's
 * OpenTelemetry workflow interceptors (`@temporalio/interceptors-opentelemetry`), which carry the trace through the
 * run's workflow tasks, activities, child runs and continue-as-new, and the run's own spans and metrics
 * (telemetry.ts).
 *
 * Two changes to how those interceptors spend the workflow thread's time, since every promise a workflow makes costs
 * the SDK a stack capture (its promise hook), and tracing must stay cheap per step:
 * - spans made in the run are exported once per activation, all in one call of the `exporter` sink, instead of one
 *   call (and the few promises of `SimpleSpanProcessor`) per span;
 * - starting an activity, the step's most frequent command, makes its `StartActivity` span without the `async`
 *   layers of the generic wrapper: the same span, headers and status, with one promise; an update a person sends
 *   gets its `HandleUpdate` span the same way. Either way the run goes on when it would without tracing, so it
 *   issues its commands in the same order on the plain bundle and on this one.
 *
 * Messages that only read the run (queries, the stream's poll update) get no span: see src/telemetry/reads.ts.
 * Everything else (the run's `RunWorkflow` span, signals, update validators, child runs, continue-as-new, the log
 * lines' trace ids, the context manager) is Temporal's code as it is. Spans are made on replay too, and the sink is
 * not called then, so a replayed run exports nothing twice.
 */
// First: OpenTelemetry's SDK needs the globals this sets up in the workflow sandbox (`performance`).
import '@temporalio/interceptors-opentelemetry/lib/workflow/runtime.js';
import { context, SpanStatusCode, trace, type Context, type Span } from '@opentelemetry/api';
import { BasicTracerProvider, type ReadableSpan, type SpanProcessor } from '@opentelemetry/sdk-trace-base';
import {
  extractContextFromHeaders,
  headersWithContext,
  UPDATE_ID_ATTR_KEY,
} from '@temporalio/interceptors-opentelemetry/lib/instrumentation.js';
import {
  OpenTelemetryInboundInterceptor,
  OpenTelemetryInternalsInterceptor,
  OpenTelemetryOutboundInterceptor,
  SpanName,
  SPAN_DELIMITER,
} from '@temporalio/interceptors-opentelemetry/lib/workflow/index.js';
import { SpanExporter } from '@temporalio/interceptors-opentelemetry/lib/workflow/span-exporter.js';
import { getActivator, SdkFlags } from '@temporalio/interceptors-opentelemetry/lib/workflow/workflow-imports.js';
import { ApplicationFailureCategory } from '@temporalio/common';
import {
  ApplicationFailure,
  type ActivityInput,
  type ConcludeActivationInput,
  type QueryInput,
  type UpdateInput,
  type WorkflowInboundCallsInterceptor,
  type LocalActivityInput,
  type Next,
  type WorkflowInterceptorsFactory,
  type WorkflowInternalsInterceptor,
  type WorkflowOutboundCallsInterceptor,
} from '@temporalio/workflow';
import { TRACER_NAME } from '../src/telemetry/names.js';
import { isReadUpdate } from '../src/telemetry/reads.js';
import { RunTelemetry } from './telemetry.js';
import { observeRunsWith } from './telemetry-hook.js';

/** Keeps the spans that end during an activation, and sends them in one sink call when it concludes. */
class ActivationSpans implements SpanProcessor {
  private ended = new Set<ReadableSpan>();
  private readonly exporter = new SpanExporter();

  onStart(): void {}

  onEnd(span: ReadableSpan): void {
    this.ended.add(span);
  }

  /**
   * Sends what ended since the last call (the sink is not called on replay). A workflow task that fails does not
   * conclude, and its spans are dropped with it: the task's retry replays the run and makes them again.
   */
  send(): void {
    if (this.ended.size === 0) return;
    const spans = [...this.ended];
    this.ended = new Set();
    this.exporter.export(spans, () => {});
  }

  forceFlush(): Promise<void> {
    this.send();
    return Promise.resolve();
  }

  shutdown(): Promise<void> {
    return this.forceFlush();
  }
}

// This module's state is the run's own: the SDK evaluates interceptor modules once per run.
const spans = new ActivationSpans();
const provider = new BasicTracerProvider();
provider.addSpanProcessor(spans);
/** The tracer of every span made in this run: Temporal's interceptors' and planwright's. */
const tracer = provider.getTracer('@temporalio/interceptor-workflow');
const runTracer = provider.getTracer(TRACER_NAME);

/** Ends an interceptor's span as Temporal's wrapper does: OK, or the error (benign application failures unset). */
function endSpan(span: Span, error?: unknown): void {
  if (error === undefined) span.setStatus({ code: SpanStatusCode.OK });
  else {
    const benign = error instanceof ApplicationFailure && error.category === ApplicationFailureCategory.BENIGN;
    const message = error instanceof Error ? error.message : String(error);
    span.setStatus({ code: benign ? SpanStatusCode.UNSET : SpanStatusCode.ERROR, message });
    span.recordException(error instanceof Error ? error : message);
  }
  span.end();
}

/**
 * Runs `fn` with `span` active (below `parent`), and ends the span when the promise `fn` returns settles, or at once
 * when `fn` throws. Returns that promise itself: whoever waits on it goes on when it would without tracing, so the
 * run issues its commands in the same order on either bundle.
 */
function withSpan<T>(span: Span, parent: Context, fn: () => Promise<T>): Promise<T> {
  let result: Promise<T>;
  try {
    result = context.with(trace.setSpan(parent, span), fn);
  } catch (error) {
    // Such as activity options the SDK refuses, before any command: the span says so, and the caller gets the error.
    endSpan(span, error);
    throw error;
  }
  result.then(
    () => endSpan(span),
    (error: unknown) => endSpan(span, error),
  );
  return result;
}

/** Whether this run's history was made by an SDK whose interceptors start activities without an extra yield. */
const avoidsExtraYields = () => getActivator().hasFlag(SdkFlags.OpenTelemetryInterceporsAvoidsExtraYields);

/** Temporal's inbound interceptor, without spans for messages that only read the run (src/telemetry/reads.ts). */
class Inbound extends OpenTelemetryInboundInterceptor {
  protected override readonly tracer = tracer;

  override handleQuery(input: QueryInput, next: Next<WorkflowInboundCallsInterceptor, 'handleQuery'>) {
    return next(input);
  }

  /**
   * An update a person sent (approve, steer…): Temporal's `HandleUpdate:<name>` span, below the sender's context,
   * with the update's id, ending with the handler; the handler's own promise is returned, so the update completes
   * when it would without tracing (Temporal's `async` wrapper completed it a few microtasks later).
   */
  override handleUpdate(input: UpdateInput, next: Next<WorkflowInboundCallsInterceptor, 'handleUpdate'>) {
    if (isReadUpdate(input.name)) return next(input);
    if (!getActivator().hasFlag(SdkFlags.OpenTelemetryInterceptorsInstrumentsAllMethods)) {
      return super.handleUpdate(input, next);
    }
    const parent = extractContextFromHeaders(input.headers) ?? context.active();
    const name = `${SpanName.WORKFLOW_HANDLE_UPDATE}${SPAN_DELIMITER}${input.name}`;
    const span = tracer.startSpan(name, { attributes: { [UPDATE_ID_ATTR_KEY]: input.updateId } }, parent);
    return withSpan(span, parent, () => next(input));
  }

  override validateUpdate(input: UpdateInput, next: Next<WorkflowInboundCallsInterceptor, 'validateUpdate'>) {
    if (isReadUpdate(input.name)) next(input);
    else super.validateUpdate(input, next);
  }
}

class Outbound extends OpenTelemetryOutboundInterceptor {
  protected override readonly tracer = tracer;

  override scheduleActivity(
    input: ActivityInput,
    next: Next<WorkflowOutboundCallsInterceptor, 'scheduleActivity'>,
  ): Promise<unknown> {
    if (!avoidsExtraYields()) return super.scheduleActivity(input, next);
    return this.started(input, next);
  }

  override scheduleLocalActivity(
    input: LocalActivityInput,
    next: Next<WorkflowOutboundCallsInterceptor, 'scheduleLocalActivity'>,
  ): Promise<unknown> {
    if (!avoidsExtraYields() || !getActivator().hasFlag(SdkFlags.OpenTelemetryInterceptorsTracesLocalActivities)) {
      return super.scheduleLocalActivity(input, next);
    }
    return this.started(input, next);
  }

  /**
   * Issues the activity's command at once (as Temporal's interceptor does under the flag above), inside a
   * `StartActivity:<type>` span whose context the headers carry to the activity; the span ends with the activity.
   */
  private started<I extends ActivityInput | LocalActivityInput>(input: I, next: (input: I) => Promise<unknown>) {
    const span = tracer.startSpan(`${SpanName.ACTIVITY_START}${SPAN_DELIMITER}${input.activityType}`);
    return withSpan(span, context.active(), () => next({ ...input, headers: headersWithContext(input.headers) }));
  }
}

class Internals extends OpenTelemetryInternalsInterceptor implements WorkflowInternalsInterceptor {
  concludeActivation(input: ConcludeActivationInput, next: Next<WorkflowInternalsInterceptor, 'concludeActivation'>) {
    spans.send();
    return next(input);
  }
}

export const interceptors: WorkflowInterceptorsFactory = () => {
  observeRunsWith((state) => new RunTelemetry(state, runTracer));
  return { inbound: [new Inbound()], outbound: [new Outbound()], internals: [new Internals()] };
};
