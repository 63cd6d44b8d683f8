import { describe, expect, it } from 'vitest';
import { planFromWire, wirePlanSchema } from '../../src/contract/plan.js';
import { WireReplanDecisionSchema } from '../../src/contract/replan.js';
import { Ajv2020 } from 'ajv/dist/2020.js';
import {
  planResponseSchema,
  positionalPlanSchema,
  GRAMMAR_TEXT_LIMITS,
  replanResponseSchema,
  strictArgs,
} from '../../src/llm/plan-format.js';
import { builtinTools } from '../../src/tools/builtin.js';
import { toolInfo } from '../../src/tools/define.js';
import { z } from 'zod';

type Schema = {
  type?: string | string[];
  properties?: Record<string, Schema>;
  required?: string[];
  additionalProperties?: unknown;
  items?: Schema;
  anyOf?: Schema[];
  $defs?: Record<string, Schema>;
  $ref?: string;
};

/** The rules OpenAI's strict structured outputs enforce (a local server would accept anything). */
function strictViolations(schema: Schema, at = '$'): string[] {
  const problems: string[] = [];
  if (schema.$ref) return problems;
  if (!schema.type && !schema.anyOf) problems.push(`${at}: no type`);
  if (schema.type === 'object' || schema.properties) {
    if (schema.additionalProperties !== false) problems.push(`${at}: additionalProperties must be false`);
    const keys = Object.keys(schema.properties ?? {});
    const missing = keys.filter((k) => !(schema.required ?? []).includes(k));
    if (missing.length > 0) problems.push(`${at}: not required: ${missing.join(', ')}`);
    for (const [k, v] of Object.entries(schema.properties ?? {})) problems.push(...strictViolations(v, `${at}.${k}`));
  }
  if (schema.items) problems.push(...strictViolations(schema.items, `${at}[]`));
  for (const [i, s] of (schema.anyOf ?? []).entries()) problems.push(...strictViolations(s, `${at}|${i}`));
  for (const [k, s] of Object.entries(schema.$defs ?? {})) problems.push(...strictViolations(s, `$defs.${k}`));
  return problems;
}

const catalog = builtinTools.map(toolInfo);

/** A step as a model writes it under the format, every key present. */
const WIRE_STEP = {
  id: 'a',
  title: 'A',
  description: null,
  dependsOn: [],
  tool: null,
  args: null,
  tools: null,
  successCriterion: null,
  critical: null,
  fallback: null,
};

describe('the response formats built from the tool catalog', () => {
  it('meet OpenAI strict structured-output rules', () => {
    expect(strictViolations(planResponseSchema(catalog) as Schema)).toEqual([]);
    expect(strictViolations(replanResponseSchema(catalog) as Schema)).toEqual([]);
  });

  it('describe each tool step’s args with that tool’s own input schema, references allowed', () => {
    const variants = ((planResponseSchema(catalog) as Schema).properties?.steps?.items?.anyOf ?? []) as Schema[];
    expect(variants).toHaveLength(catalog.length + 1);
    const dataQuery = variants.find((v) => JSON.stringify(v.properties?.tool).includes('"data_query"'));
    const args = dataQuery?.properties?.args as Schema;
    expect(args.required).toEqual(['file', 'filter', 'groupBy', 'aggregate', 'order', 'limit']);
    // An optional field may be null; a number may also be a reference to an earlier output.
    expect(JSON.stringify(args.properties?.limit)).toContain('"type":"null"');
    expect(JSON.stringify(args.properties?.limit)).toContain('"pattern":"^\\\\{\\\\{[a-z]');
    const open = variants.at(-1);
    expect(open?.properties?.tool).toMatchObject({ type: 'null' });
  });

  it('shape a fallback’s args by its tool’s input schema, defined once and referred to from every step', () => {
    for (const format of [planResponseSchema(catalog), replanResponseSchema(catalog, true)] as Schema[]) {
      const fallbacks = format.$defs?.fallback?.anyOf ?? [];
      expect(fallbacks.map((f) => (f.properties?.tool as { enum?: string[] }).enum)).toEqual(
        catalog.map((t) => [t.name]),
      );
      const writeFile = fallbacks.find((f) => JSON.stringify(f.properties?.tool).includes('"write_file"'));
      expect(writeFile?.properties?.args).toMatchObject({ type: 'object', required: ['path', 'content', 'mode'] });
      // Every reference in the format names a definition it carries.
      const refs = JSON.stringify(format).match(/"\$ref":"[^"]+"/g) ?? [];
      expect(refs.length).toBeGreaterThan(0);
      for (const ref of refs) expect(ref).toBe('"$ref":"#/$defs/fallback"');
    }
    expect(planResponseSchema([]) as Schema).not.toHaveProperty('$defs');
  });

  it('let an open step name the catalog’s tools its executor may call, and no other step', () => {
    const names = catalog.map((t) => t.name);
    for (const format of [planResponseSchema(catalog, true), replanResponseSchema(catalog, true)] as Schema[]) {
      const steps = format.properties?.steps as Schema;
      const variants = (steps.items ?? steps.anyOf?.[0]?.items)?.anyOf ?? [];
      const tools = variants.map((v) => v.properties?.tools);
      const open = variants.findIndex(
        (v) => v.properties?.tool?.type === 'null' && v.properties?.subgoal?.type === 'null',
      );
      expect(tools[open]).toEqual({
        anyOf: [{ type: 'array', items: { type: 'string', enum: names } }, { type: 'null' }],
      });
      expect(tools.filter((_, i) => i !== open)).toEqual(Array(catalog.length + 1).fill({ type: 'null' }));
    }
    // The steps as a model writes them under the format: the open step's tools reach the plan.
    const wire = {
      rationale: null,
      steps: [
        { ...WIRE_STEP, id: 'count', tool: 'calculator', args: { expression: '1+1' }, tools: null },
        { ...WIRE_STEP, id: 'draft', dependsOn: ['count'], tools: ['calculator', 'read_file'] },
      ],
    };
    const { plan, issues } = planFromWire(wirePlanSchema().parse(wire));
    expect(issues).toEqual([]);
    expect(plan?.steps.map((s) => s.tools)).toEqual([undefined, ['calculator', 'read_file']]);
  });

  it('have no tools to name, and no fallback, with an empty catalog', () => {
    const [open] = ((planResponseSchema([]) as Schema).properties?.steps?.items?.anyOf ?? []) as Schema[];
    expect(open?.properties).toMatchObject({ tools: { type: 'null' }, fallback: { type: 'null' } });
    expect(strictViolations(planResponseSchema([]) as Schema)).toEqual([]);
  });

  it('offer a sub-goal step only to runs that may start sub-goals, still strict', () => {
    expect(strictViolations(planResponseSchema(catalog, true) as Schema)).toEqual([]);
    expect(strictViolations(replanResponseSchema(catalog, true) as Schema)).toEqual([]);
    const variants = (plan: Schema) => (plan.properties?.steps?.items?.anyOf ?? []) as Schema[];
    expect(variants(planResponseSchema(catalog) as Schema).some((v) => v.properties?.subgoal)).toBe(false);
    const withSubgoals = variants(planResponseSchema(catalog, true) as Schema);
    expect(withSubgoals).toHaveLength(catalog.length + 2);
    // Every variant has the key (strict mode wants every key); only the last one takes a goal in it.
    expect(withSubgoals.map((v) => v.properties?.subgoal?.type)).toEqual([
      ...Array<string>(catalog.length + 1).fill('null'),
      'string',
    ]);
    expect(withSubgoals.at(-1)?.properties).toMatchObject({ tool: { type: 'null' }, fallback: { type: 'null' } });
  });

  it('fall back to a JSON string for a tool whose input cannot be written strictly', () => {
    const free = z.toJSONSchema(z.object({ value: z.unknown(), meta: z.record(z.string(), z.number()) }));
    expect(strictArgs(free as Record<string, unknown>)).toBeUndefined();
    const variants = ((
      planResponseSchema([{ name: 'measure', description: 'm', inputSchema: free as never }]) as Schema
    ).properties?.steps?.items?.anyOf ?? []) as Schema[];
    expect(variants[0]?.properties?.args).toMatchObject({ type: 'string' });
  });

  it('the replanner’s wire schema accepts args as objects or as JSON strings', () => {
    const wire = (args: unknown) => ({
      action: 'revise',
      reason: 'r',
      answer: null,
      steps: [{ ...WIRE_STEP, tool: 'calculator', args }],
    });
    expect(WireReplanDecisionSchema.safeParse(wire({ expression: '1+1' })).success).toBe(true);
    expect(WireReplanDecisionSchema.safeParse(wire('{"expression":"1+1"}')).success).toBe(true);
  });
});

describe('the grammar format: step i is "s<i>" and depends only on the steps before it', () => {
  const ajv = new Ajv2020({ strict: false });
  const tools = catalog.filter((t) => ['calculator', 'read_file'].includes(t.name));
  const check = ajv.compile(positionalPlanSchema(tools, 4));
  const toolStep = (id: string, dependsOn: string[], args: unknown) => ({
    ...WIRE_STEP,
    id,
    dependsOn,
    tool: 'read_file',
    args,
  });

  it('accepts a plan whose ids follow their positions and whose dependencies come before', () => {
    const plan = {
      rationale: null,
      steps: [toolStep('s1', [], { path: 'a.txt' }), { ...WIRE_STEP, id: 's2', dependsOn: ['s1'] }],
    };
    expect(check(plan)).toBe(true);
    expect(planFromWire(wirePlanSchema().parse(plan)).issues).toEqual([]);
  });

  it('refuses a dependency on a later step or on an id that is not a step, and other ids', () => {
    const steps = (...s: unknown[]) => ({ rationale: null, steps: s });
    expect(check(steps({ ...WIRE_STEP, id: 's1', dependsOn: ['s2'] }, { ...WIRE_STEP, id: 's2' }))).toBe(false);
    expect(check(steps({ ...WIRE_STEP, id: 's1' }, { ...WIRE_STEP, id: 's2', dependsOn: ['the-model-planner'] }))).toBe(
      false,
    );
    expect(check(steps({ ...WIRE_STEP, id: 'read' }))).toBe(false);
    expect(check(steps())).toBe(false);
    expect(check(steps(...['s1', 's2', 's3', 's4', 's5'].map((id) => ({ ...WIRE_STEP, id }))))).toBe(false);
  });

  it('takes references by position in arguments that are not strings, and bounds the texts a model writes', () => {
    const sql = ajv.compile(positionalPlanSchema(catalog, 3));
    const query = (maxRows: unknown, title = 'Q') => ({
      rationale: null,
      steps: [
        { ...WIRE_STEP, id: 's1', title: 'Count' },
        { ...WIRE_STEP, id: 's2', title, dependsOn: ['s1'], tool: 'sql_query', args: { sql: 'SELECT 1', maxRows } },
      ],
    });
    expect(sql(query(10))).toBe(true);
    expect(sql(query('{{s1.rows}}'))).toBe(true);
    expect(sql(query('{{id}}'))).toBe(false);
    const emptySql = query(10);
    (emptySql.steps[1]!.args as { sql: string }).sql = '';
    expect(sql(emptySql)).toBe(false);
    expect(JSON.stringify(planResponseSchema(catalog))).not.toContain('minLength');
    expect(sql(query(10, 'x'.repeat(GRAMMAR_TEXT_LIMITS.title)))).toBe(true);
    expect(sql(query(10, 'x'.repeat(GRAMMAR_TEXT_LIMITS.title + 1)))).toBe(false);
    expect(sql(query(10, ''))).toBe(false);
    expect(sql({ ...query(10), rationale: 'x'.repeat(GRAMMAR_TEXT_LIMITS.rationale + 1) })).toBe(false);
  });

  it('keeps each tool step’s args shaped by that tool’s input schema', () => {
    expect(check({ rationale: null, steps: [toolStep('s1', [], { expression: '1+1' })] })).toBe(false);
  });

  it('grows with the catalog, not its square, and with maxSteps', () => {
    const size = (n: number, steps = 25) =>
      JSON.stringify(
        positionalPlanSchema(
          Array.from({ length: n }, (_, i) => ({ ...tools[0]!, name: `tool_${i}` })),
          steps,
        ),
      ).length;
    const growth = (size(40) - size(20)) / (size(20) - size(10));
    expect(growth).toBeGreaterThan(1.8);
    expect(growth).toBeLessThan(2.2);
    expect(size(10, 10)).toBeLessThan(size(10, 25));
  });
});
