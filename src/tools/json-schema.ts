/**
 * Checking values against a JSON Schema, for tools that describe their input that way (tools from MCP
 * servers): the schema is compiled once by Ajv and wrapped in a zod type, so such tools fit where zod
 * tools do (plan checks, `runTool`).
 */
import { Ajv, type ErrorObject, type ValidateFunction } from 'ajv';
import { Ajv2019 } from 'ajv/dist/2019.js';
import { Ajv2020 } from 'ajv/dist/2020.js';
import formats from 'ajv-formats';
import { z } from 'zod';
import type { JsonSchemaObject } from '../contract/tools.js';

type Dialect = 'draft-07' | '2019-09' | '2020-12';

const validators = new Map<Dialect, Ajv | Ajv2019 | Ajv2020>();

/** One Ajv per dialect: draft-07 (and older) schemas, 2019-09, and 2020-12 (the default when `$schema` is absent). */
function ajvFor(dialect: Dialect): Ajv | Ajv2019 | Ajv2020 {
  let ajv = validators.get(dialect);
  if (!ajv) {
    const options = { allErrors: true, strict: false, allowUnionTypes: true, validateSchema: true };
    ajv =
      dialect === 'draft-07' ? new Ajv(options) : dialect === '2019-09' ? new Ajv2019(options) : new Ajv2020(options);
    formats.default(ajv);
    validators.set(dialect, ajv);
  }
  return ajv;
}

function dialectOf(schema: JsonSchemaObject): Dialect {
  const declared = typeof schema.$schema === 'string' ? schema.$schema : '';
  if (/draft-0[4-7]/.test(declared)) return 'draft-07';
  if (declared.includes('2019-09')) return '2019-09';
  return '2020-12';
}

/**
 * Compiles a JSON Schema into a function that checks a value.
 * @throws {TypeError} when the schema is not a valid JSON Schema.
 */
export function compileJsonSchema(schema: JsonSchemaObject): ValidateFunction {
  const dialect = dialectOf(schema);
  // Draft-04/06 meta-schemas are not bundled: their keywords are read as draft-07's, which is what they mostly are.
  const { $schema: _declared, ...rest } = schema;
  const body = dialect === 'draft-07' ? rest : schema;
  try {
    return ajvFor(dialect).compile(body);
  } catch (err) {
    throw new TypeError(`not a usable JSON Schema: ${(err as Error).message}`, { cause: err });
  }
}

/** A readable line per schema violation, like zod's: `path: message`. */
function describe(error: ErrorObject): { path: (string | number)[]; message: string } {
  const path = error.instancePath
    .split('/')
    .slice(1)
    .map((part) => part.replace(/~1/g, '/').replace(/~0/g, '~'))
    .map((part) => (/^\d+$/.test(part) ? Number(part) : part));
  const extra =
    error.keyword === 'additionalProperties'
      ? ` ("${(error.params as { additionalProperty: string }).additionalProperty}")`
      : error.keyword === 'enum'
        ? `: ${(error.params as { allowedValues: unknown[] }).allowedValues.map((v) => JSON.stringify(v)).join(', ')}`
        : '';
  return { path, message: `${error.message ?? 'is invalid'}${extra}` };
}

/**
 * A zod type that accepts exactly the values a JSON Schema accepts, reporting each violation as a zod issue.
 * @throws {TypeError} when the schema is not a valid JSON Schema.
 */
export function zodFromJsonSchema(schema: JsonSchemaObject): z.ZodType<unknown> {
  const validate = compileJsonSchema(schema);
  return z.unknown().superRefine((value, ctx) => {
    if (validate(value)) return;
    for (const error of validate.errors ?? []) ctx.addIssue({ code: 'custom', ...describe(error) });
  });
}
