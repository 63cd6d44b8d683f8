import { describe, expect, it } from 'vitest';
import { z } from 'zod';
import { checkToolArgs } from '../../src/tools/check-args.js';
import { defineJsonSchemaTool, defineTool, toolInfo } from '../../src/tools/define.js';

const INPUT = {
  type: 'object',
  properties: {
    email: { type: 'string', format: 'email' },
    plan: { enum: ['free', 'pro'] },
    limit: { type: 'integer', minimum: 1 },
  },
  required: ['email'],
  additionalProperties: false,
};

const lookup = defineJsonSchemaTool({
  name: 'lookup',
  description: 'Finds a customer.',
  inputSchema: { $schema: 'http://json-schema.org/draft-07/schema#', ...INPUT },
  outputSchema: { type: 'object', properties: { id: { type: 'string' } }, required: ['id'] },
  run: () => ({ id: 'c1' }),
});

describe('tools described by a JSON Schema', () => {
  it('show the planner their own schema, without the dialect marker', () => {
    const info = toolInfo(lookup);
    expect(info.inputSchema).toEqual(INPUT);
    expect(info.outputSchema).toEqual({ type: 'object', properties: { id: { type: 'string' } }, required: ['id'] });
  });

  it('check inputs and outputs against the schema, with a path and a reason per problem', () => {
    expect(lookup.input.safeParse({ email: 'a@b.co', plan: 'pro', limit: 2 }).success).toBe(true);
    const issues = (value: unknown) => lookup.input.safeParse(value).error?.issues.map((i) => [i.path, i.message]);
    expect(issues({ email: 'nope', plan: 'gold', limit: 0, extra: 1 })).toEqual([
      [[], 'must NOT have additional properties ("extra")'],
      [['email'], 'must match format "email"'],
      [['plan'], 'must be equal to one of the allowed values: "free", "pro"'],
      [['limit'], 'must be >= 1'],
    ]);
    expect(lookup.output?.safeParse({ id: 3 }).success).toBe(false);
    const plan = [{ id: 'find', title: 'find', dependsOn: [], tool: 'lookup', args: { plan: 'pro' } }];
    expect(checkToolArgs(plan, [lookup])).toEqual([
      {
        stepId: 'find',
        message: "args do not fit lookup's input schema: (input): must have required property 'email'",
      },
    ]);
  });

  it('read 2020-12 schemas (the default) as such', () => {
    const tuple = defineJsonSchemaTool({
      name: 'pair',
      description: 'Takes a pair.',
      inputSchema: {
        type: 'object',
        properties: { p: { type: 'array', prefixItems: [{ type: 'string' }, { type: 'number' }], items: false } },
      },
      run: (input) => input,
    });
    expect(tuple.input.safeParse({ p: ['a', 1] }).success).toBe(true);
    expect(tuple.input.safeParse({ p: ['a', 1, 2] }).success).toBe(false);
  });

  it('refuse bad names and schemas that do not compile, as defineTool does', () => {
    const run = () => null;
    expect(() => defineJsonSchemaTool({ name: 'Bad-Name', description: '', inputSchema: {}, run })).toThrow(
      'tool name "Bad-Name" must match',
    );
    expect(() => defineJsonSchemaTool({ name: 'broken', description: '', inputSchema: { type: 'nope' }, run })).toThrow(
      /^tool "broken": its input schema is not a usable JSON Schema: /,
    );
    const zodTool = defineTool({ name: 'z', description: 'd', input: z.object({ a: z.string() }), run });
    expect(toolInfo(zodTool).inputSchema).toMatchObject({ properties: { a: { type: 'string' } } });
  });
});
