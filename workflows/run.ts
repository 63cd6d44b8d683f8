/**
 * `Run`: a run while its workflow executes. Its state changes only through the transitions of `RunLedger`
 * (src/run/ledger.ts), which this class extends with what needs the workflow: showing the state to people
 * (search attributes, the Web UI's Current Details) after each change, and what the run asks of its history and
 * input. What crosses `continueAsNew` is the ledger's plain-JSON memory, never the object itself.
 */
import { upsertSearchAttributes, workflowInfo } from '@temporalio/workflow';
import type { Step } from '../src/contract/plan.js';
import type { ResolvedRunInput, RunInput } from '../src/contract/run-input.js';
import type { PlanLimits } from '../src/plan/validate.js';
import { renderDetails } from '../src/run/details.js';
import { RunLedger } from '../src/run/ledger.js';
import type { RunMemory } from '../src/run/state.js';
import { detailsChanged } from './current-details.js';
import { REPLANS_ATTRIBUTE, STATUS_ATTRIBUTE } from '../src/contract/search-attributes.js';
import { STATUS_SHOWN_FROM_THE_START, follows } from './patches.js';
import { runObserver, type RunObserver } from './telemetry-hook.js';

/** A run in progress: its input, its state (through the ledger) and how it is shown. */
export class Run extends RunLedger {
  private shown = { status: '', replans: -1 };
  /** The run's spans and metrics; none in the plain bundle (telemetry-hook.ts). */
  private readonly telemetry: RunObserver | undefined;
  private indexed: { plan: Run['plan']; byId: Map<string, Step>; position: Map<string, number> } | undefined;

  constructor(
    input: ResolvedRunInput,
    /** The input as the client sent it; continue-as-new passes it on unchanged. */
    readonly rawInput: RunInput,
    memory: RunMemory,
  ) {
    super(input, memory);
    this.telemetry = runObserver(memory.state);
  }

  /** The current plan's step with this id. */
  planStep(id: string): Step {
    return this.stepIndex().byId.get(id) as Step;
  }

  /** Where a step stands in the current plan, for people: "step 3/7". */
  position(id: string): string {
    return `step ${(this.stepIndex().position.get(id) ?? -1) + 1}/${this.plan.steps.length}`;
  }

  /** The current plan's steps by id, built once per plan (plans of a thousand steps are looked up often). */
  private stepIndex() {
    const plan = this.plan;
    if (this.indexed?.plan !== plan) {
      this.indexed = {
        plan,
        byId: new Map(plan.steps.map((s) => [s.id, s])),
        position: new Map(plan.steps.map((s, i) => [s.id, i])),
      };
    }
    return this.indexed;
  }

  /** Runs `fn` inside the step's span (see `RunTelemetry.inStep`): what it schedules and logs hangs below the step. */
  inStep<T>(id: string, fn: () => T): T {
    return this.telemetry ? this.telemetry.inStep(id, fn) : fn();
  }

  /** The run's Current Details for the Web UI, from its state now. */
  private readonly details = () => {
    const { workflowId, namespace } = workflowInfo();
    return renderDetails(this.state, { workflowId, namespace });
  };

  /**
   * Shows the state to people: search attributes when they changed, and the Current Details in the Web UI
   * (rendered when someone looks, see current-details.ts).
   */
  publish(): void {
    const { state } = this;
    detailsChanged(this.details);
    const registered = this.worker?.searchAttributes ?? [];
    if (this.shown.status === state.status && this.shown.replans === state.replans) return;
    const updates = [
      ...(registered.includes(STATUS_ATTRIBUTE.name) ? [{ key: STATUS_ATTRIBUTE, value: state.status }] : []),
      ...(registered.includes(REPLANS_ATTRIBUTE.name) ? [{ key: REPLANS_ATTRIBUTE, value: state.replans }] : []),
    ];
    // Shown once set; until the run knows the worker's search attributes, nothing is (runs started before
    // counted the state as shown then, and so left a plain running run without a status).
    if (updates.length > 0 || !follows(STATUS_SHOWN_FROM_THE_START)) {
      this.shown = { status: state.status, replans: state.replans };
    }
    if (updates.length > 0) upsertSearchAttributes(updates);
  }

  /**
   * Shows the state after each transition of the ledger, records it in the run's spans and metrics (telemetry.ts, in
   * the bundles that have it), and tells the observer (the run's stream, stream.ts).
   */
  protected override changed(): void {
    this.publish();
    this.telemetry?.observe(this.state);
    this.observer?.();
  }

  private observer: (() => void) | undefined;

  /** Calls `observer` after each transition of the ledger (one observer: the run's stream). */
  observe(observer: () => void): void {
    this.observer = observer;
  }

  /** The history has grown enough that the run should continue as a new one. */
  continueAsNewDue(): boolean {
    const info = workflowInfo();
    const limit = this.input.historyLimit;
    return info.continueAsNewSuggested || (limit !== undefined && info.historyLength >= limit);
  }

  /** The limits a plan is validated against (a revision's finished steps count toward `maxSteps`). */
  limits(): PlanLimits {
    return { tools: this.tools, maxSteps: this.input.maxSteps, ...this.subgoalLimits() };
  }

  /** The limits of a first plan: with a rolling horizon, at most `horizon` steps. */
  firstPlanLimits(): PlanLimits {
    return { ...this.limits(), maxSteps: Math.min(this.input.maxSteps, this.input.horizon ?? Infinity) };
  }

  /** `{ subgoals }` when this run may start sub-goals (a level of runs below it is allowed), else nothing. */
  subgoalLimits(): { subgoals?: { maxFanOut: number } } {
    const { maxDepth, maxFanOut } = this.input.subgoals;
    return maxDepth > 0 ? { subgoals: { maxFanOut } } : {};
  }

  /**
   * With a rolling horizon: whether the replanner may be asked for more steps once the planned ones are done
   * (it has not declined for this plan, the run may take more steps, and the budget allows a model call).
   */
  mayExtend(): boolean {
    const { horizon, maxSteps } = this.input;
    const plan = this.state.plan;
    if (horizon === undefined || !plan || this.horizonReached === plan.version) return false;
    return plan.steps.length < maxSteps && !this.modelRefused();
  }

  /** What a plan is asked for with; the plan cache keys on the same, with the worker's tools. */
  planningRequest() {
    const { input } = this;
    return {
      goal: this.state.goal,
      ...(input.context !== undefined ? { context: input.context } : {}),
      maxSteps: this.firstPlanLimits().maxSteps,
      ...(input.horizon !== undefined ? { horizon: input.horizon } : {}),
      ...this.subgoalLimits(),
    };
  }
}
