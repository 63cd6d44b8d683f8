/**
 * Success criteria: a step's `successCriterion` is either a check of its output that needs no model, written
 * `$.path op value` (say `$.groups.length >= 1`), or a sentence that a model judges. Pure, safe in workflow code.
 */
import type { Json } from '../contract/plan.js';

/** Comparisons a checkable criterion may use. */
const OPS = ['==', '!=', '>=', '<=', '>', '<', 'contains', 'matches'] as const;
/** Tests of one value a checkable criterion may use. */
const TESTS = ['exists', 'is not empty', 'is empty'] as const;

/** A criterion checked without a model: a path into the output, and a comparison or a test. */
export type OutputCheck = { path: string } & (
  { op: (typeof OPS)[number]; value: Json } | { op: (typeof TESTS)[number]; value?: undefined }
);

/** What the rules for writing checkable criteria are, for the planner's prompt. */
export const CHECKABLE_CRITERIA = `a check of the output written "$.path op value", checked without a model: the path starts at "$" (the whole output) with ".field", "[index]" and ".length" (of a list, text or object); op is one of ${OPS.join(', ')} (value in JSON), or the path is followed by ${TESTS.map((t) => `"${t}"`).join(', ')}`;

const PATH = String.raw`\$((?:\.[A-Za-z_][\w-]*|\[\d+\])*)`;
const COMPARISON = new RegExp(String.raw`^${PATH}\s*(${OPS.map(escape).join('|')})\s*(.+)$`);
const TEST = new RegExp(String.raw`^${PATH}\s+(${TESTS.join('|')})$`);

function escape(op: string): string {
  return op.replace(/[<>=!]/g, (c) => `\\${c}`);
}

/**
 * The check a criterion asks for, or undefined when it is a sentence for a model to judge.
 * @example parseCriterion('$.groups.length >= 1') // { path: '.groups.length', op: '>=', value: 1 }
 */
export function parseCriterion(criterion: string): OutputCheck | undefined {
  const text = criterion.trim();
  const test = TEST.exec(text);
  if (test) return { path: test[1] ?? '', op: test[2] as OutputCheck['op'] } as OutputCheck;
  const comparison = COMPARISON.exec(text);
  if (!comparison) return undefined;
  const raw = (comparison[3] ?? '').trim();
  let value: Json;
  try {
    value = JSON.parse(raw) as Json;
  } catch {
    value = raw; // a bare word is meant as text
  }
  return { path: comparison[1] ?? '', op: comparison[2] as (typeof OPS)[number], value };
}

/** The value at a path (`.a[0].length`) of an output; undefined when the path leads nowhere. */
function at(output: Json, path: string): Json | undefined {
  let value: Json | undefined = output;
  for (const [, field, index] of path.matchAll(/\.([A-Za-z_][\w-]*)|\[(\d+)\]/g)) {
    if (value === undefined || value === null) return undefined;
    if (index !== undefined) {
      value = Array.isArray(value) ? value[Number(index)] : undefined;
    } else if (field === 'length' && (Array.isArray(value) || typeof value === 'string')) {
      value = value.length;
    } else if (typeof value === 'object' && !Array.isArray(value)) {
      value =
        field === 'length' && !Object.hasOwn(value, 'length') ? Object.keys(value).length : value[field as string];
    } else {
      return undefined;
    }
  }
  return value;
}

const same = (a: Json | undefined, b: Json | undefined) => JSON.stringify(a) === JSON.stringify(b);

function isEmpty(value: Json | undefined): boolean {
  if (value === undefined || value === null || value === '') return true;
  if (Array.isArray(value)) return value.length === 0;
  return typeof value === 'object' && Object.keys(value).length === 0;
}

/**
 * Checks an output against a checkable criterion.
 * @returns undefined when the output passes, or why it does not, in words for people and the replanner.
 */
export function criterionProblem(output: Json, check: OutputCheck): string | undefined {
  const found = at(output, check.path);
  const name = `$${check.path}`;
  const shown = found === undefined ? 'missing' : JSON.stringify(found).slice(0, 200);
  const fail = (expected: string) => `${name} is ${shown}, expected ${expected}`;
  switch (check.op) {
    case 'exists':
      return found === undefined || found === null ? fail('a value') : undefined;
    case 'is not empty':
      return isEmpty(found) ? fail('something not empty') : undefined;
    case 'is empty':
      return isEmpty(found) ? undefined : fail('nothing');
    case '==':
      return same(found, check.value) ? undefined : fail(JSON.stringify(check.value));
    case '!=':
      return same(found, check.value) ? fail(`anything but ${JSON.stringify(check.value)}`) : undefined;
    case 'contains': {
      const has =
        typeof found === 'string'
          ? typeof check.value === 'string' && found.includes(check.value)
          : Array.isArray(found) && found.some((item) => same(item, check.value));
      return has ? undefined : fail(`to contain ${JSON.stringify(check.value)}`);
    }
    case 'matches': {
      let pattern: RegExp;
      try {
        pattern = new RegExp(String(check.value));
      } catch {
        return `the criterion's pattern ${JSON.stringify(check.value)} is not a regular expression`;
      }
      return typeof found === 'string' && pattern.test(found) ? undefined : fail(`to match ${pattern}`);
    }
    default: {
      if (typeof found !== 'number' || typeof check.value !== 'number') {
        return fail(`a number ${check.op} ${JSON.stringify(check.value)}`);
      }
      const passes = {
        '>': found > check.value,
        '>=': found >= check.value,
        '<': found < check.value,
        '<=': found <= check.value,
      }[check.op];
      return passes ? undefined : fail(`${check.op} ${check.value}`);
    }
  }
}
