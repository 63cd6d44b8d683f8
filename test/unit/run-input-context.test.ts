/**
 * A run's `context` comes from any client (another SDK, `temporal workflow start`, a schedule): a context nested
 * thousands deep or megabytes long is refused with an InvalidRunInputError naming the limit, and nothing a client
 * sends makes `parseRunInput` throw anything else (the workflow turns only that error into a failed run; any
 * other would fail its workflow task again and again).
 */
import { describe, expect, it } from 'vitest';
import { MAX_CONTEXT_CHARS, MAX_CONTEXT_DEPTH, parseRunInput } from '../../src/contract/run-input.js';

/** What `parseRunInput` throws when it refuses an input for exactly these problems. */
const refusal = (...problems: unknown[]) => expect.objectContaining({ name: 'InvalidRunInputError', problems });

/** A context of `depth` objects, each in the one before: `{ "a": { "a": … "leaf" } }`. */
function nested(depth: number): Record<string, unknown> {
  let value: unknown = 'leaf';
  for (let i = 0; i < depth; i++) value = { a: value };
  return value as Record<string, unknown>;
}

describe('the limits on a run input context', () => {
  it('are 32 levels and 64000 characters', () => {
    expect(MAX_CONTEXT_DEPTH).toBe(32);
    expect(MAX_CONTEXT_CHARS).toBe(64_000);
  });

  it('take a context nested as deep as the limit', () => {
    expect(parseRunInput({ goal: 'g', context: nested(MAX_CONTEXT_DEPTH) }).context).toEqual(nested(32));
    // Arrays count as levels too.
    const list = { rows: [[1, 2], [3]] };
    expect(parseRunInput({ goal: 'g', context: list }).context).toEqual(list);
  });

  it('refuse a context nested deeper, however deep, with a message naming the limit', () => {
    for (const depth of [MAX_CONTEXT_DEPTH + 1, 3000, 20_000]) {
      expect(() => parseRunInput({ goal: 'g', context: nested(depth) })).toThrow(
        refusal('context: it is nested more than 32 levels deep; flatten it (at most 32 levels of objects and arrays)'),
      );
    }
  });

  it('refuse a context that is too long, as text or as JSON, saying where large data goes instead', () => {
    expect(() => parseRunInput({ goal: 'g', context: 'x'.repeat(5_000_000) })).toThrow(
      refusal(
        'context: it is 5000000 characters long; at most 64000 are taken (as text, or as JSON): ' +
          'give large data to the run through a tool or a file in the workspace instead',
      ),
    );
    expect(() => parseRunInput({ goal: 'g', context: { notes: 'y'.repeat(MAX_CONTEXT_CHARS) } })).toThrow(
      refusal(expect.stringMatching(/^context: it is 64012 characters long as JSON; at most/)),
    );
    // Many small values are refused without being walked one by one.
    const rows = Array.from({ length: 200_000 }, () => 1);
    expect(() => parseRunInput({ goal: 'g', context: { rows } })).toThrow(
      refusal(expect.stringMatching(/^context: it is more than 64000 characters long as JSON;/)),
    );
  });

  it('take a context as long as the limit', () => {
    const context = 'z'.repeat(MAX_CONTEXT_CHARS);
    expect(parseRunInput({ goal: 'g', context }).context).toBe(context);
    const object = { notes: 'z'.repeat(MAX_CONTEXT_CHARS - '{"notes":""}'.length) };
    expect(parseRunInput({ goal: 'g', context: object }).context).toEqual(object);
  });

  it('refuse a context that refers to itself', () => {
    const context: Record<string, unknown> = {};
    context.self = context;
    expect(() => parseRunInput({ goal: 'g', context })).toThrow(
      refusal(expect.stringMatching(/^context: it is nested more/)),
    );
  });
});

describe('parseRunInput without the context limits (an input taken before they existed, replayed)', () => {
  it('takes a context over them, and still throws nothing but InvalidRunInputError', () => {
    const deep = nested(MAX_CONTEXT_DEPTH + 8);
    expect(parseRunInput({ goal: 'g', context: deep }, { contextLimits: false }).context).toEqual(deep);
    const long = 'x'.repeat(MAX_CONTEXT_CHARS + 1);
    expect(parseRunInput({ goal: 'g', context: long }, { contextLimits: false }).context).toBe(long);
    expect(() => parseRunInput({ goal: 'g', context: nested(20_000) }, { contextLimits: false })).toThrow(
      refusal(expect.stringMatching(/^input: it cannot be read \(RangeError: Maximum call stack size exceeded\)/)),
    );
  });
});

describe('parseRunInput, whatever it is given', () => {
  it('throws only InvalidRunInputError, naming what is wrong and what to do, with the cause', () => {
    const throwing = {
      goal: 'g',
      get context(): unknown {
        throw new Error('no context here');
      },
    };
    expect(() => parseRunInput(throwing)).toThrow(
      expect.objectContaining({
        name: 'InvalidRunInputError',
        problems: ['input: it cannot be read (Error: no context here); send a plain JSON object such as {"goal": "…"}'],
        cause: expect.objectContaining({ message: 'no context here' }),
      }),
    );
    const hostile = new Proxy(
      { goal: 'g' },
      {
        ownKeys() {
          throw new RangeError('Maximum call stack size exceeded');
        },
      },
    );
    expect(() => parseRunInput(hostile)).toThrow(
      refusal(
        'input: it cannot be read (RangeError: Maximum call stack size exceeded); ' +
          'send a plain JSON object such as {"goal": "…"}',
      ),
    );
  });

  it('names unknown fields shortly, however many and however long', () => {
    const input: Record<string, unknown> = { goal: 'g', ['k'.repeat(10_000)]: 1 };
    for (let i = 0; i < 1000; i++) input[`extra${i}`] = i;
    expect(() => parseRunInput(input)).toThrow(
      refusal(
        expect.stringMatching(/^input: unknown fields "k{60}…", "extra0", .{0,100} and 995 more \(it takes goal, /),
      ),
    );
  });
});
