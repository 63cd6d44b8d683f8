/**
 * Argument references: `"{{id}}"` or `"{{id.path.to.field}}"` inside tool arguments stand for an
 * earlier step's output. A string that is only a reference keeps the value's type; a reference inside
 * longer text is replaced by the value's text.
 */
import type { Json } from '../contract/plan.js';

/** One reference found in a step's arguments. */
export interface Reference {
  stepId: string;
  path: string[];
  /** The reference as written, braces included. */
  text: string;
}

const REFERENCE = /\{\{\s*([a-z][a-z0-9_-]{0,63})((?:\.[^{}.\s]+)*)\s*\}\}/g;
const WHOLE_REFERENCE = new RegExp(`^${REFERENCE.source}$`);

/** Thrown by {@link resolveReferences} when a reference names no output or a path that is not there. */
export class UnresolvedReferenceError extends Error {
  override readonly name = 'UnresolvedReferenceError';
  constructor(
    readonly reference: string,
    reason: string,
  ) {
    super(`cannot resolve ${reference}: ${reason}`);
  }
}

function toReference(match: RegExpExecArray | RegExpMatchArray): Reference {
  const [text, stepId = '', dotted = ''] = match;
  return { stepId, path: dotted.split('.').filter(Boolean), text };
}

/** Lists every reference in a JSON value, in document order. */
export function findReferences(value: Json | undefined): Reference[] {
  if (typeof value === 'string') return [...value.matchAll(REFERENCE)].map(toReference);
  if (Array.isArray(value)) return value.flatMap(findReferences);
  if (value !== null && typeof value === 'object') return Object.values(value).flatMap(findReferences);
  return [];
}

/** `value` with each reference's step renamed to what `rename` gives for it (unchanged where it gives nothing). */
export function renameReferences(value: Json, rename: (stepId: string) => string | undefined): Json {
  if (typeof value === 'string')
    return value.replace(REFERENCE, (text: string, stepId: string) => {
      const to = rename(stepId);
      return to === undefined ? text : text.replace(stepId, to);
    });
  if (Array.isArray(value)) return value.map((item) => renameReferences(item, rename));
  if (value !== null && typeof value === 'object')
    return Object.fromEntries(Object.entries(value).map(([key, item]) => [key, renameReferences(item, rename)]));
  return value;
}

/**
 * Follows a path of keys (array indexes are numbers written as keys) into a JSON value.
 * @throws {UnresolvedReferenceError} when a key is missing.
 */
export function lookupPath(value: Json, path: readonly string[], reference: string): Json {
  let current: Json = value;
  for (const [depth, key] of path.entries()) {
    const here = path.slice(0, depth).join('.') || 'the output';
    if (Array.isArray(current)) {
      const index = Number(key);
      if (!Number.isInteger(index) || index < 0 || index >= current.length) {
        throw new UnresolvedReferenceError(
          reference,
          `${here} is a list of ${current.length}, it has no item "${key}"`,
        );
      }
      current = current[index] as Json;
    } else if (current !== null && typeof current === 'object' && Object.hasOwn(current, key)) {
      current = current[key] as Json;
    } else {
      throw new UnresolvedReferenceError(reference, `${here} has no field "${key}"`);
    }
  }
  return current;
}

/**
 * Replaces every reference in `args` with the output it names.
 * @throws {UnresolvedReferenceError} when a referenced step has no output or the path is missing.
 */
export function resolveReferences(args: Json, outputs: Readonly<Record<string, Json>>): Json {
  const valueOf = (ref: Reference): Json => {
    if (!Object.hasOwn(outputs, ref.stepId)) {
      throw new UnresolvedReferenceError(ref.text, `step "${ref.stepId}" has no output`);
    }
    return lookupPath(outputs[ref.stepId] as Json, ref.path, ref.text);
  };
  if (typeof args === 'string') {
    const whole = args.match(WHOLE_REFERENCE);
    if (whole) return valueOf(toReference(whole));
    return args.replace(REFERENCE, (...match: string[]) => {
      const value = valueOf(toReference(match as unknown as RegExpMatchArray));
      return typeof value === 'string' ? value : JSON.stringify(value);
    });
  }
  if (Array.isArray(args)) return args.map((item) => resolveReferences(item, outputs));
  if (args !== null && typeof args === 'object') {
    return Object.fromEntries(Object.entries(args).map(([key, item]) => [key, resolveReferences(item, outputs)]));
  }
  return args;
}
