/**
 * Does a path (as written in a reference) exist in values described by a JSON schema? Pure.
 */
import type { Json } from '../contract/plan.js';
import type { JsonSchemaObject } from '../contract/tools.js';

type Schema = { [key: string]: Json };

const asSchema = (value: Json | undefined): Schema | undefined =>
  value !== null && typeof value === 'object' && !Array.isArray(value) ? value : undefined;

/**
 * Follows `path` through `schema`. Returns the reason when the path cannot exist, or undefined when it
 * can (or when the schema does not say: references, open objects and missing schemas are given the benefit).
 */
export function missingPath(schema: JsonSchemaObject, path: readonly string[]): string | undefined {
  let current: Schema | undefined = schema;
  for (const [depth, key] of path.entries()) {
    if (!current) return undefined;
    const here = path.slice(0, depth).join('.') || 'the output';
    const branches = [current.anyOf, current.oneOf].find(Array.isArray);
    if (branches) {
      const options = branches.map(asSchema).filter((s): s is Schema => s !== undefined);
      return options.some((option) => missingPath(option, path.slice(depth)) === undefined)
        ? undefined
        : `${here} has no "${key}" in any of its forms`;
    }
    const type = current.type;
    if (type === 'array' || (Array.isArray(type) && type.includes('array') && !/^\D/.test(key))) {
      if (!/^\d+$/.test(key)) return `${here} is a list; "${key}" is not an index`;
      current = asSchema(current.items);
      continue;
    }
    if (type === 'object' || current.properties !== undefined) {
      const properties = asSchema(current.properties) ?? {};
      if (Object.hasOwn(properties, key)) {
        current = asSchema(properties[key]);
        continue;
      }
      if (current.additionalProperties === false) {
        const known = Object.keys(properties);
        return `${here} has no field "${key}"${known.length > 0 ? ` (fields: ${known.join(', ')})` : ''}`;
      }
      current = asSchema(current.additionalProperties);
      continue;
    }
    if (typeof type === 'string') return `${here} is a ${type}; it has no "${key}"`;
    return undefined;
  }
  return undefined;
}
