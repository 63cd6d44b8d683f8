/**
 * `Run`: the one object that owns a run's mutable state while its workflow executes. Every phase
 * (plan, people, execute, recover, replan, report) reads and changes the run through it; what crosses
 * `continueAsNew` is its plain-JSON `memory`, never the object itself.
 */
import { upsertSearchAttributes, workflowInfo } from '@temporalio/workflow';
import type { Step, VersionedPlan } from '../src/contract/plan.js';
import type { ResolvedRunInput, RunInput } from '../src/contract/run-input.js';
import { addUsage, type RunEventType, type RunState, type RunStatus, type Usage } from '../src/contract/run-state.js';
import type { ToolSummary } from '../src/contract/tools.js';
import type { PlanLimits } from '../src/plan/validate.js';
import { budgetSpent } from '../src/run/budget.js';
import { renderDetails } from '../src/run/details.js';
import { recordEvent, type RunMemory } from '../src/run/state.js';
import { detailsChanged } from './current-details.js';
import type { ResolveEscalation } from './messages.js';
import { REPLANS_ATTRIBUTE, STATUS_ATTRIBUTE } from '../src/contract/search-attributes.js';
import { STATUS_SHOWN_FROM_THE_START, follows } from './patches.js';

/** A person's answer to the plan awaiting approval. */
export interface ApprovalDecision {
  approved: boolean;
  feedback: string;
}

/** A run in progress: its input, its state and the decisions waiting to be acted on. */
export class Run {
  /** The live state: the `state` query's answer and, once the run ends, its result. */
  readonly state: RunState;
  /** The answer to the plan awaiting approval, set by a message handler while the run waits. */
  approval: ApprovalDecision | undefined;
  /** The decision about the escalated step, set by a message handler while the run waits. */
  resolution: ResolveEscalation | undefined;
  /** Steps that failed for good and still need a recovery, in the order they failed. */
  readonly needsAttention: string[] = [];
  /** The final answer is being written: goal changes are refused from here on. */
  closing = false;
  private shown = { status: '', replans: -1 };
  private indexed: { plan: VersionedPlan; byId: Map<string, Step>; position: Map<string, number> } | undefined;

  constructor(
    readonly input: ResolvedRunInput,
    /** The input as the client sent it; continue-as-new passes it on unchanged. */
    readonly rawInput: RunInput,
    /** Everything that crosses continue-as-new. */
    readonly memory: RunMemory,
  ) {
    this.state = memory.state;
  }

  /** What the run knows of the tools the worker offered at the start. */
  get tools(): ToolSummary[] {
    return this.memory.worker?.tools ?? [];
  }

  /** The current plan. Called only once a plan has been adopted. */
  get plan(): VersionedPlan {
    return this.state.plan as VersionedPlan;
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
    const registered = this.memory.worker?.searchAttributes ?? [];
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

  /** Records an event in the run's trace and publishes the state. */
  note(type: RunEventType, message: string, stepId?: string): void {
    recordEvent(this.state, { type, message, at: new Date().toISOString(), ...(stepId ? { stepId } : {}) });
    this.publish();
  }

  /** Sets the run's status and publishes it. */
  setStatus(status: RunStatus): void {
    this.state.status = status;
    this.publish();
  }

  /** Adds usage to the run at once, so steps running side by side see each other's spending. */
  spend(usage: Partial<Usage>): void {
    this.state.usage = addUsage(this.state.usage, usage);
  }

  /** How many more times the run may replan. */
  replansLeft(): number {
    return this.input.maxReplans - this.state.replans;
  }

  /** Says why no further model call may be made (a spent budget), or undefined. */
  modelRefused(): string | undefined {
    return budgetSpent(this.state.usage, this.input.budget);
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
    if (horizon === undefined || !plan || this.memory.horizonReached === plan.version) return false;
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
