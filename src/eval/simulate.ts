/**
 * Simulated tools: a tool of an evaluation task answers with a value of every field its output schema declares,
 * so that plans whose steps refer to earlier outputs can run without the real service.
 */
import type { Json } from '../contract/plan.js';
import type { JsonSchemaObject } from '../contract/tools.js';
import type { EvalTool } from './task.js';

/**
 * A value of `schema`: its first enum value, else a placeholder of its type (text names the field it fills; a number
 * is a whole one, so that it also fits an integer parameter it is passed to).
 */
export function simulatedValue(schema: JsonSchemaObject | undefined, name: string): Json {
  if (!schema) return `${name} (simulated)`;
  if (Array.isArray(schema.enum) && schema.enum.length > 0) return schema.enum[0] as Json;
  const type = Array.isArray(schema.type) ? schema.type[0] : schema.type;
  switch (type) {
    case 'number':
    case 'integer':
      return 1;
    case 'boolean':
      return true;
    case 'null':
      return null;
    case 'array':
      return [simulatedValue(schema.items as JsonSchemaObject | undefined, `${name} item`)];
    case 'object': {
      const properties = (schema.properties ?? {}) as Record<string, JsonSchemaObject>;
      return Object.fromEntries(Object.entries(properties).map(([key, s]) => [key, simulatedValue(s, key)]));
    }
    default:
      return `${name} (simulated)`;
  }
}

/** What a simulated tool answers: every declared output field with a value of its type. */
export function simulatedOutput(tool: EvalTool): Json {
  return simulatedValue(tool.outputSchema ?? { type: 'object' }, tool.name);
}
