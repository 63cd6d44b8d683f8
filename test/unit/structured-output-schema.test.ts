import { zodResponseFormat } from 'openai/helpers/zod';
import { describe, expect, it } from 'vitest';
import { WirePlanSchema } from '../../src/contract/plan.js';

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

describe('the planner response schema', () => {
  it('meets OpenAI strict structured-output rules', () => {
    const format = zodResponseFormat(WirePlanSchema, 'plan');
    expect(format.json_schema.strict).toBe(true);
    expect(strictViolations(format.json_schema.schema as Schema)).toEqual([]);
  });
});
