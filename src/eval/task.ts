/**
 * Evaluation tasks: a goal, the tools a planner may use (with input and output schemas), and what is expected —
 * a gold plan to score against, or nothing but a valid plan. A suite is a named list of tasks, in a JSON file
 * (`docs/eval.md` describes the format) or built from a benchmark's files (`nestful.ts`).
 */
import { readFile } from 'node:fs/promises';
import { z } from 'zod';
import { jsonSchema, type Json } from '../contract/plan.js';
import type { JsonSchemaObject } from '../contract/tools.js';

/** A tool of a task: what the planner is told, and the output its simulation answers with. */
export interface EvalTool {
  /** Lower-case letters, digits and `_` (a tool name of planwright). */
  name: string;
  description: string;
  inputSchema: JsonSchemaObject;
  /** The output's fields; the simulated tool answers with a value of every one, and references are checked against it. */
  outputSchema?: JsonSchemaObject;
}

/** One call of a gold plan: the step id (what later calls refer to), the tool, and its arguments with references. */
export interface GoldCall {
  id: string;
  tool: string;
  /** Arguments; `"{{id.field}}"` refers to an earlier call's output, as in a plan. */
  args: { [key: string]: Json };
}

/** One evaluation task. */
export interface EvalTask {
  /** Unique in its suite. */
  id: string;
  goal: string;
  context?: string;
  tools: EvalTool[];
  /** The expected sequence of calls, in order; without it a task is scored on validity only. */
  gold?: GoldCall[];
  /** Most steps a plan may have (default 25, as for a run). */
  maxSteps?: number;
  /** Texts a whole run's answer must hold (case ignored) for the run to count as a success. */
  answerIncludes?: string[];
  /** Why the task is planned but not run whole (its tools cannot be simulated so that its gold plan runs). */
  notRun?: string;
}

/** A named list of tasks. */
export interface EvalSuite {
  name: string;
  /** Where the tasks come from, for the report. */
  source?: string;
  tasks: EvalTask[];
  /** Tasks of the source left out, each with why. */
  skipped?: Array<{ id: string; reason: string }>;
}

const schemaObject = z.record(z.string(), z.unknown()) as unknown as z.ZodType<JsonSchemaObject>;

/** The suite file format: what {@link loadSuiteFile} accepts. */
export const suiteFileSchema = z.object({
  name: z.string().regex(/^[a-z0-9][a-z0-9_.-]*$/, 'lower-case letters, digits, ".", "_" or "-"'),
  source: z.string().optional(),
  tasks: z
    .array(
      z.object({
        id: z.string().min(1),
        goal: z.string().min(1),
        context: z.string().optional(),
        tools: z.array(
          z.object({
            name: z.string().regex(/^[a-z][a-z0-9_]{0,63}$/, 'lower-case letters, digits and "_"'),
            description: z.string(),
            inputSchema: schemaObject,
            outputSchema: schemaObject.optional(),
          }),
        ),
        gold: z
          .array(z.object({ id: z.string(), tool: z.string(), args: z.record(z.string(), jsonSchema()) }))
          .min(1)
          .optional(),
        maxSteps: z.number().int().min(1).max(1000).optional(),
        answerIncludes: z.array(z.string().min(1)).optional(),
      }),
    )
    .min(1),
});

/** Thrown when a suite file cannot be read or does not follow the format; says where and what to fix. */
export class SuiteFileError extends Error {
  override readonly name = 'SuiteFileError';
}

/**
 * Reads a suite file (JSON, see `docs/eval.md`).
 * @throws {SuiteFileError} when the file is missing, not JSON, not a suite, or repeats a task id.
 */
export async function loadSuiteFile(file: string): Promise<EvalSuite> {
  let text: string;
  try {
    text = await readFile(file, 'utf8');
  } catch (err) {
    throw new SuiteFileError(`cannot read the suite file ${file}: ${(err as Error).message}`, { cause: err });
  }
  let data: unknown;
  try {
    data = JSON.parse(text);
  } catch (err) {
    throw new SuiteFileError(`the suite file ${file} is not JSON: ${(err as Error).message}`, { cause: err });
  }
  const parsed = suiteFileSchema.safeParse(data);
  if (!parsed.success) {
    const problems = parsed.error.issues.map((i) => `${i.path.join('.') || '(file)'}: ${i.message}`).join('; ');
    throw new SuiteFileError(`the suite file ${file} is not a suite (see docs/eval.md): ${problems}`);
  }
  const suite = parsed.data as EvalSuite;
  const seen = new Set<string>();
  for (const task of suite.tasks) {
    if (seen.has(task.id)) throw new SuiteFileError(`the suite file ${file} has task id "${task.id}" twice`);
    seen.add(task.id);
  }
  return suite;
}
