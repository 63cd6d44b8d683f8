/**
 * The plan: the planner's structured output, validated by the workflow and shown to people.
 * Written once; the planner's wire format, the workflow's checks and the CLI's rendering all use it.
 */
import { z } from 'zod';
import { builtOnce } from './built-once.js';

/** A JSON value: what tool arguments, tool outputs and context are made of. */
export type Json = string | number | boolean | null | Json[] | { [key: string]: Json };

/** Zod schema for {@link Json}. */
export const jsonSchema = builtOnce(() => {
  const json: z.ZodType<Json> = z.lazy(() =>
    z.union([z.string(), z.number(), z.boolean(), z.null(), z.array(json), z.record(z.string(), json)]),
  );
  return json;
});

/** Pattern every step id matches: lower-case, starts with a letter, at most 64 characters. */
export const STEP_ID_PATTERN = /^[a-z][a-z0-9_-]{0,63}$/;

// zod resets the `lastIndex` of the pattern it holds, so it gets a copy: the exported one is frozen where shared.
const stepId = () =>
  z
    .string()
    .regex(
      new RegExp(STEP_ID_PATTERN),
      'a step id is lower-case letters, digits, "_" or "-", starting with a letter (max 64)',
    );

/** A tool to call instead of the step's own tool when that one fails for good. */
const fallbackSchema = builtOnce(() => z.object({ tool: z.string().min(1), args: jsonSchema().optional() }));

/** Most tools one open step may name. */
export const MAX_STEP_TOOLS = 12;

/** Longest goal of a sub-goal step (a run's goal has the same limit). */
export const MAX_GOAL_CHARS = 8000;

/**
 * One step of a plan: a tool call with known arguments, an open task for the executor, or a sub-goal that runs as
 * a plan of its own (a child `planAndExecute` run) whose answer is the step's output.
 */
export const stepSchema = builtOnce(() =>
  z.object({
    id: stepId(),
    title: z.string().min(1).max(200),
    description: z.string().optional(),
    dependsOn: z.array(stepId()),
    tool: z.string().min(1).optional(),
    args: jsonSchema().optional(),
    /** The goal of a sub-goal step; such a step has no tool, args or fallback. */
    subgoal: z.string().trim().min(1).max(MAX_GOAL_CHARS).optional(),
    successCriterion: z.string().optional(),
    critical: z.boolean().optional(),
    fallback: fallbackSchema().optional(),
    /** The tools an open step's executor may call (none when absent); only on open steps. */
    tools: z.array(z.string().min(1)).optional(),
  }),
);

/** A plan: steps forming a directed acyclic graph through `dependsOn`. */
export const planSchema = builtOnce(() =>
  z.object({
    rationale: z.string().optional(),
    steps: z.array(stepSchema()).min(1, 'a plan needs at least one step'),
  }),
);

/** One step of a plan. */
export type Step = z.infer<ReturnType<typeof stepSchema>>;
/** A plan as the planner proposes it. */
export type Plan = z.infer<ReturnType<typeof planSchema>>;
/** A plan the workflow has accepted, numbered from 1 in the order it was adopted. */
export type VersionedPlan = Plan & { version: number };

/** A step's `args` as a model writes them: a JSON object, or the object encoded in a string. */
const wireArgs = () => z.union([z.string(), z.record(z.string(), jsonSchema())]).nullable();

/**
 * The plan as a model writes it, checked after parsing. Strict structured outputs want every key present,
 * so optional fields are nullable. `args` is an object shaped by the tool's own input schema when the response
 * format is built from the tool catalog (`src/llm/plan-format.ts`), or a JSON string where a tool's schema
 * cannot be expressed in strict mode.
 */
export const wirePlanSchema = builtOnce(() =>
  z.object({
    rationale: z.string().nullable(),
    steps: z.array(
      z.object({
        id: z.string(),
        title: z.string(),
        description: z.string().nullable(),
        dependsOn: z.array(z.string()),
        tool: z.string().nullable(),
        args: wireArgs(),
        successCriterion: z.string().nullable(),
        critical: z.boolean().nullable(),
        fallback: z.object({ tool: z.string(), args: wireArgs() }).nullable(),
        /** Only in the response format of runs that may use sub-goals; absent otherwise. */
        subgoal: z.string().nullish(),
        /** The tools an open step may call; null or absent for none. */
        tools: z.array(z.string()).nullish(),
      }),
    ),
  }),
);

/** A plan as a model writes it; see {@link wirePlanSchema}. */
export type WirePlan = z.infer<ReturnType<typeof wirePlanSchema>>;

/** What changed from a plan version to the next (see `planChanges`, src/plan/diff.ts). */
export interface PlanChanges {
  /** Ids of the steps the new version adds. */
  added: string[];
  /** Ids of the steps the new version drops. */
  removed: string[];
  /** Steps kept under the same id, with the fields that differ (`tool`, `args`, `dependsOn`, …). */
  changed: Array<{ id: string; fields: string[] }>;
}

/** A problem found in a plan, tied to the step it concerns when there is one. */
export interface PlanIssue {
  stepId?: string;
  message: string;
}

/**
 * Turns the model's wire plan into a {@link Plan}: nulls become absent fields, JSON strings are parsed.
 * Every problem is reported at once: `args` that are not JSON are issues (the plan keeps those steps without
 * args, so its other problems can still be found); a plan that breaks the schema comes with no plan.
 */
export function planFromWire(wire: WirePlan): { plan?: Plan; issues: PlanIssue[] } {
  const issues: PlanIssue[] = [];
  const parseArgs = (stepId: string, args: string | Json | null, what: string): Json | undefined => {
    if (args === null) return undefined;
    if (typeof args !== 'string') return withoutNulls(args);
    if (args.trim() === '') return undefined;
    try {
      return withoutNulls(JSON.parse(args) as Json);
    } catch (err) {
      issues.push({ stepId, message: `${what} is not valid JSON (${(err as Error).message}): ${args.slice(0, 200)}` });
      return undefined;
    }
  };
  const candidate = {
    ...(wire.rationale === null ? {} : { rationale: wire.rationale }),
    steps: wire.steps.map((s) => {
      const args = parseArgs(s.id, s.args, 'args');
      const fallbackArgs = s.fallback ? parseArgs(s.id, s.fallback.args, 'fallback.args') : undefined;
      return {
        id: s.id,
        title: s.title,
        dependsOn: s.dependsOn,
        ...(s.description === null ? {} : { description: s.description }),
        ...(s.tool === null ? {} : { tool: s.tool }),
        ...(args === undefined ? {} : { args }),
        ...(s.subgoal === null || s.subgoal === undefined ? {} : { subgoal: s.subgoal }),
        ...(s.successCriterion === null ? {} : { successCriterion: s.successCriterion }),
        ...(s.critical === null ? {} : { critical: s.critical }),
        ...(s.fallback === null
          ? {}
          : { fallback: { tool: s.fallback.tool, ...(fallbackArgs === undefined ? {} : { args: fallbackArgs }) } }),
        ...(s.tools === null || s.tools === undefined || s.tools.length === 0 ? {} : { tools: s.tools }),
      };
    }),
  };
  const parsed = planSchema().safeParse(candidate);
  if (!parsed.success) return { issues: [...issues, ...zodIssues(parsed.error, candidate.steps)] };
  return { plan: parsed.data, issues };
}

/**
 * Drops object fields whose value is null: strict response formats make every optional field nullable, and
 * a tool's input schema wants an optional field absent, not null.
 */
export function withoutNulls(value: Json): Json {
  if (Array.isArray(value)) return value.map(withoutNulls);
  if (value === null || typeof value !== 'object') return value;
  return Object.fromEntries(
    Object.entries(value)
      .filter(([, v]) => v !== null)
      .map(([k, v]) => [k, withoutNulls(v)]),
  );
}

/** Lists a zod error as plan issues, naming the step each one concerns. */
export function zodIssues(error: z.ZodError, steps: ReadonlyArray<{ id: string }>): PlanIssue[] {
  return error.issues.map((issue) => {
    const [head, index, ...rest] = issue.path;
    const step = head === 'steps' && typeof index === 'number' ? steps[index] : undefined;
    const where = step ? rest.join('.') : issue.path.join('.');
    return { ...(step ? { stepId: step.id } : {}), message: where ? `${where}: ${issue.message}` : issue.message };
  });
}
