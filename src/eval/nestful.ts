/**
 * NESTFUL's non-executable sets (arXiv 2409.03797; `eval/nestful/`) as evaluation tasks. Each call of a gold
 * sequence becomes a gold step whose id is the call's label; `$var1.field$` becomes `{{var1.field}}`
 * (`[0]` becomes `.0`); each tool gets an input schema from its parameters and an output schema from its output
 * parameters. Tasks whose gold sequence does not fit its own tools (a tool missing from the spec, a reference to
 * a field the tool does not output, arguments its parameters refuse) are left out, each with the reason.
 */
import { readFile } from 'node:fs/promises';
import path from 'node:path';
import type { Json } from '../contract/plan.js';
import type { JsonSchemaObject } from '../contract/tools.js';
import { resolveReferences } from '../plan/references.js';
import { validatePlan } from '../plan/validate.js';
import { checkToolArgs } from '../tools/check-args.js';
import { defineJsonSchemaTool } from '../tools/define.js';
import { simulatedOutput } from './simulate.js';
import type { EvalSuite, EvalTask, EvalTool, GoldCall } from './task.js';

/** The NESTFUL sets shipped with planwright. */
export const NESTFUL_SETS = ['sgd', 'glaive'] as const;
/** One of {@link NESTFUL_SETS}. */
export type NestfulSet = (typeof NESTFUL_SETS)[number];

/** A parameter of a NESTFUL tool spec (SGD's have no type; Glaive's do). */
interface SpecParameter {
  type?: string;
  description?: string;
  required?: boolean;
  allowed_values?: unknown[];
  possible_values?: unknown[];
  default_value?: unknown;
  items?: { type?: string };
}

/** A NESTFUL tool spec. */
interface Spec {
  name: string;
  description?: string;
  arguments?: Record<string, SpecParameter>;
  query_parameters?: Record<string, SpecParameter>;
  parameters?: Record<string, SpecParameter>;
  output_parameters?: Record<string, SpecParameter>;
}

/** A NESTFUL task: the request and its gold sequence, ended by `var_result`. */
interface NestfulTask {
  input: string;
  output: Array<{ name: string; arguments: Record<string, Json>; label?: string }>;
}

/** NESTFUL's tool name as a planwright tool name: `RentalCars.GetCarsAvailable` → `rental_cars_get_cars_available`. */
export function toolName(name: string): string {
  const snake = name
    .replace(/([a-z0-9])([A-Z])/g, '$1_$2')
    .toLowerCase()
    .replace(/[^a-z0-9_]+/g, '_')
    .replace(/_+/g, '_')
    .replace(/^_|_$/g, '');
  return (/^[a-z]/.test(snake) ? snake : `t_${snake}`).slice(0, 64);
}

/** `$var1.a[0].b$` → `{{var1.a.0.b}}`, anywhere in a string. */
export function referencesOf(text: string): string {
  return text.replace(/\$(var\d+|[a-z][a-z0-9_]*)((?:\.[^$.\s]+)*)\$/g, (_whole, label: string, dotted: string) => {
    const pathText = dotted.replace(/\[(\d+)\]/g, '.$1');
    return `{{${label}${pathText}}}`;
  });
}

/** A JSON value with its references rewritten. */
function withReferences(value: Json): Json {
  if (typeof value === 'string') return referencesOf(value);
  if (Array.isArray(value)) return value.map(withReferences);
  if (value !== null && typeof value === 'object')
    return Object.fromEntries(Object.entries(value).map(([k, v]) => [k, withReferences(v)]));
  return value;
}

const JSON_TYPES = new Set(['string', 'number', 'integer', 'boolean', 'array', 'object']);

/** A parameter's JSON schema: its type (string when the spec gives none), its description and allowed values. */
function parameterSchema(parameter: SpecParameter): JsonSchemaObject {
  const type = parameter.type && JSON_TYPES.has(parameter.type) ? parameter.type : 'string';
  const allowed = (parameter.allowed_values ?? parameter.possible_values ?? []).filter((v) => v !== '');
  const description = [
    parameter.description ?? '',
    allowed.length > 0 ? `one of ${allowed.map((v) => JSON.stringify(v)).join(', ')}` : '',
  ]
    .filter(Boolean)
    .join('; ');
  const node: JsonSchemaObject = { type, ...(description ? { description } : {}) };
  if (type === 'array')
    node.items = {
      type: parameter.items?.type && JSON_TYPES.has(parameter.items.type) ? parameter.items.type : 'string',
    };
  if (type === 'object') node.additionalProperties = true;
  return node;
}

/** A tool of the spec as an evaluation tool. */
export function specTool(spec: Spec): EvalTool {
  const parameters = spec.arguments ?? spec.query_parameters ?? spec.parameters ?? {};
  const required = Object.entries(parameters)
    .filter(([, p]) => p.required === true)
    .map(([key]) => key);
  const outputs = spec.output_parameters ?? {};
  return {
    name: toolName(spec.name),
    description: spec.description ?? spec.name,
    inputSchema: {
      type: 'object',
      properties: Object.fromEntries(Object.entries(parameters).map(([key, p]) => [key, parameterSchema(p)])),
      required,
      additionalProperties: false,
    },
    outputSchema: {
      type: 'object',
      properties: Object.fromEntries(Object.entries(outputs).map(([key, p]) => [key, parameterSchema(p)])),
    },
  };
}

/**
 * Converts one NESTFUL task; `reason` says why it cannot be used.
 * @returns the task, or why it was left out.
 */
export function nestfulTask(
  set: NestfulSet,
  index: number,
  task: NestfulTask,
  specs: ReadonlyMap<string, Spec>,
): { task: EvalTask } | { reason: string } {
  const calls = task.output.filter((call) => call.name !== 'var_result');
  const unknown = calls.map((c) => c.name).filter((name) => !specs.has(name));
  if (unknown.length > 0) return { reason: `its gold sequence calls ${unknown.join(', ')}, not in the spec` };
  if (calls.length === 0) return { reason: 'its gold sequence is empty' };
  const tools = new Map<string, EvalTool>();
  for (const call of calls) {
    const tool = specTool(specs.get(call.name) as Spec);
    tools.set(tool.name, tool);
  }
  const gold: GoldCall[] = calls.map((call, i) => ({
    id: call.label ?? `var${i + 1}`,
    tool: toolName(call.name),
    args: withReferences(call.arguments) as GoldCall['args'],
  }));
  const evalTask: EvalTask = { id: `${set}-${index + 1}`, goal: task.input, tools: [...tools.values()], gold };
  const problems = goldProblems(evalTask);
  if (problems.length > 0) return { reason: problems.join('; ') };
  const unrunnable = simulationProblems(evalTask);
  return { task: unrunnable.length > 0 ? { ...evalTask, notRun: unrunnable.join('; ') } : evalTask };
}

/** What keeps a task's gold plan from validating against its own tools (as a planner's plan would be checked). */
export function goldProblems(task: EvalTask): string[] {
  if (!task.gold) return [];
  const plan = goldPlan(task.gold);
  const tools = task.tools.map((t) => defineJsonSchemaTool({ ...t, run: () => null }));
  const issues = [
    ...validatePlan(plan, { tools: task.tools, maxSteps: task.maxSteps ?? 25 }),
    ...checkToolArgs(plan.steps, tools),
  ];
  return issues.map((i) => (i.stepId ? `step "${i.stepId}": ${i.message}` : i.message));
}

/**
 * What keeps a whole run of the task's gold plan with simulated tools from succeeding: arguments that do not fit
 * their tool once references are resolved against the simulated outputs (a gold call that misses a required
 * parameter, or a simulated value of another type than the parameter takes). Such a task is planned, not run whole.
 */
export function simulationProblems(task: EvalTask): string[] {
  if (!task.gold) return [];
  const { steps } = goldPlan(task.gold);
  const outputs: Record<string, Json> = {};
  const byName = new Map(task.tools.map((t) => [t.name, t]));
  const problems: string[] = [];
  const resolved = steps.flatMap((step) => {
    const tool = byName.get(step.tool);
    if (tool) outputs[step.id] = simulatedOutput(tool);
    try {
      return [{ ...step, args: resolveReferences(step.args, outputs) }];
    } catch (err) {
      problems.push(`step "${step.id}": ${(err as Error).message} in a run with simulated tools`);
      return [];
    }
  });
  const tools = task.tools.map((t) => defineJsonSchemaTool({ ...t, run: () => null }));
  const issues = checkToolArgs(resolved, tools);
  return [
    ...problems,
    ...issues.map((i) => `step "${i.stepId}": ${i.message}, once its references are resolved in a run`),
  ];
}

/** A gold sequence as a plan: each call a tool step that depends on the calls it refers to. */
export function goldPlan(gold: readonly GoldCall[]) {
  return {
    steps: gold.map((call) => ({
      id: call.id,
      title: call.tool,
      dependsOn: [...new Set([...JSON.stringify(call.args).matchAll(/\{\{([a-z][a-z0-9_-]*)/g)].map((m) => m[1]!))],
      tool: call.tool,
      args: call.args,
    })),
  };
}

/**
 * Reads one NESTFUL set from `dir` (its data and spec files, as shipped in `eval/nestful/`) as a suite.
 * @throws {Error} when the files cannot be read or are not NESTFUL's format.
 */
export async function loadNestful(set: NestfulSet, dir: string): Promise<EvalSuite> {
  const read = async (what: string) =>
    JSON.parse(await readFile(path.join(dir, `non-executable-${set}-${what}.json`), 'utf8')) as unknown;
  const [data, spec] = await Promise.all([read('data'), read('spec')]);
  if (!Array.isArray(data) || !Array.isArray(spec))
    throw new Error(`${dir}: NESTFUL's ${set} data and spec files should each hold a JSON array`);
  const specs = new Map<string, Spec>();
  for (const s of spec as Spec[]) if (!specs.has(s.name)) specs.set(s.name, s);
  const suite: EvalSuite = {
    name: `nestful-${set}`,
    source: `NESTFUL (arXiv 2409.03797), non-executable ${set} set, Apache 2.0`,
    tasks: [],
    skipped: [],
  };
  (data as NestfulTask[]).forEach((raw, i) => {
    const converted = nestfulTask(set, i, raw, specs);
    if ('task' in converted) suite.tasks.push(converted.task);
    else suite.skipped?.push({ id: `${set}-${i + 1}`, reason: converted.reason });
  });
  return suite;
}
