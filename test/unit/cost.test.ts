/**
 * Estimated cost: the price table (defaults, PLANWRIGHT_PRICES as JSON or a file, refusals), pricing usage
 * where it is produced, adding costs up, the cost budget, and how a cost reads.
 */
import { mkdtemp, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { addUsage, NO_USAGE, type Usage } from '../../src/contract/run-state.js';
import { InvalidRunInputError, parseRunInput } from '../../src/contract/run-input.js';
import { modelConfigFromEnv } from '../../src/llm/config.js';
import { addTokenUsage, pricedUsage } from '../../src/llm/usage.js';
import {
  costOf,
  DEFAULT_PRICES,
  DEMO_MODEL,
  describePrice,
  PriceConfigError,
  priceOf,
  priceTableFromEnv,
} from '../../src/llm/prices.js';
import { budgetSpent, costText, usd } from '../../src/run/budget.js';

const usage = (extra: Partial<Usage> = {}): Usage => ({ ...NO_USAGE, llmCalls: 2, inputTokens: 1000, ...extra });

describe('the price table', () => {
  it('prices common models, and dated snapshots as their model', () => {
    expect(priceOf('gpt-4o-mini')).toEqual({ input: 0.15, output: 0.6 });
    expect(priceOf('gpt-4o-mini-2024-07-18')).toEqual({ input: 0.15, output: 0.6 });
    expect(priceOf('gpt-4o-2024-05-13')).toEqual({ input: 5, output: 15 }); // a snapshot with a price of its own
    expect(priceOf('gpt-3.5-turbo-0125')).toEqual(DEFAULT_PRICES['gpt-3.5-turbo']);
    for (const model of ['gpt-4o', 'gpt-4.1', 'gpt-4.1-mini', 'o3', 'o4-mini', 'gpt-5', 'gpt-5-mini', 'gpt-5-nano']) {
      expect(priceOf(model), model).toBeDefined();
    }
  });

  it('has no price for models it does not know, rather than a guess', () => {
    expect(priceOf('llama3.1')).toBeUndefined();
    expect(priceOf('my-azure-deployment')).toBeUndefined();
    expect(priceOf('gpt-4o-realtime-preview')).toBeUndefined();
    expect(describePrice('llama3.1')).toBe(
      'no price for model "llama3.1": costs are not estimated (add it to PLANWRIGHT_PRICES to estimate them)',
    );
    expect(describePrice('gpt-4o-mini')).toContain('$0.15 in / $0.6 out per million tokens (an estimate;');
  });

  it('turns tokens into US dollars at a price per million', () => {
    expect(costOf({ inputTokens: 1_000_000, outputTokens: 500_000 }, { input: 2.5, output: 10 })).toBe(7.5);
    expect(costOf({ inputTokens: 1200, outputTokens: 300 }, { input: 0.15, output: 0.6 })).toBeCloseTo(0.00036, 12);
  });

  it('adds or overrides models from PLANWRIGHT_PRICES, as JSON or as a file', async () => {
    const inline = priceTableFromEnv({
      PLANWRIGHT_PRICES: '{"llama3.1": {"input": 0, "output": 0}, "gpt-4o": {"input": 2, "output": 8}}',
    });
    expect(inline['llama3.1']).toEqual({ input: 0, output: 0 });
    expect(inline['gpt-4o']).toEqual({ input: 2, output: 8 });
    expect(inline['gpt-4o-mini']).toEqual(DEFAULT_PRICES['gpt-4o-mini']);

    const file = path.join(await mkdtemp(path.join(tmpdir(), 'pw-prices-')), 'prices.json');
    await writeFile(file, JSON.stringify({ 'my-deployment': { input: 3, output: 12 } }));
    expect(priceTableFromEnv({ PLANWRIGHT_PRICES: file })['my-deployment']).toEqual({ input: 3, output: 12 });
    expect(modelConfigFromEnv({ PLANWRIGHT_PRICES: file }).prices?.['my-deployment']).toEqual({ input: 3, output: 12 });
    expect(priceTableFromEnv({})).toBe(DEFAULT_PRICES);
  });

  it('refuses a PLANWRIGHT_PRICES that is not a price table, saying what to write', () => {
    const refusal = (value: string) => {
      try {
        priceTableFromEnv({ PLANWRIGHT_PRICES: value });
      } catch (err) {
        expect(err).toBeInstanceOf(PriceConfigError);
        return (err as Error).message;
      }
      throw new Error('accepted');
    };
    expect(refusal('{"gpt-4o": {"input": -1, "output": 10}}')).toMatch(
      /^PLANWRIGHT_PRICES is not a price table \(gpt-4o\.input: must be a price of at least 0\); expected \{"<model>"/,
    );
    expect(refusal('{"gpt-4o": {"in": 1, "output": 10}}')).toContain('gpt-4o.input');
    expect(refusal('{"gpt-4o": ')).toMatch(/^PLANWRIGHT_PRICES is not JSON/);
    expect(refusal('/nonexistent/prices.json')).toMatch(
      /^PLANWRIGHT_PRICES=\/nonexistent\/prices\.json: cannot read it \(.*ENOENT.*\); give JSON or the path of a JSON file$/,
    );
  });
});

describe('pricing usage where it is produced', () => {
  it('adds the cost of a priced model, and counts calls to an unpriced one', () => {
    const tokens = { llmCalls: 1, inputTokens: 1200, outputTokens: 300 };
    expect(pricedUsage(tokens, 'gpt-4o-mini').cost).toBeCloseTo(0.00036, 12);
    expect(pricedUsage(tokens, 'scripted')).toEqual({ ...tokens, unpricedCalls: 1 });
    expect(pricedUsage(tokens, 'scripted', { scripted: { input: 1, output: 2 } }).cost).toBeCloseTo(0.0018, 12);
    expect(pricedUsage({ llmCalls: 0, inputTokens: 0, outputTokens: 0 }, 'scripted')).toEqual({
      llmCalls: 0,
      inputTokens: 0,
      outputTokens: 0,
    });
  });

  it('adds costs up, and keeps usage recorded before costs were estimated as it was', () => {
    const old = { llmCalls: 1, inputTokens: 10, outputTokens: 5 };
    expect(addTokenUsage(old, old)).toEqual({ llmCalls: 2, inputTokens: 20, outputTokens: 10 });
    expect(addTokenUsage({ ...old, cost: 0.1 }, { ...old, cost: 0.2 }).cost).toBe(0.3);
    expect(addTokenUsage({ ...old, cost: 0.1 }, { ...old, unpricedCalls: 1 })).toMatchObject({
      cost: 0.1,
      unpricedCalls: 1,
    });
    expect(addUsage(NO_USAGE, { toolCalls: 2 })).toEqual({ ...NO_USAGE, toolCalls: 2 });
    expect(addUsage(usage({ cost: 0.25 }), { llmCalls: 1, cost: 0.5 })).toMatchObject({ llmCalls: 3, cost: 0.75 });
  });
});

describe('the cost budget', () => {
  it('is spent once the estimate reaches it, not before', () => {
    expect(budgetSpent(usage({ cost: 0.049 }), { cost: 0.05 })).toBeUndefined();
    expect(budgetSpent(usage({ cost: 0.06 }), { cost: 0.05 })).toBe('the budget of $0.05 is spent ($0.06 estimated)');
    expect(budgetSpent(usage(), { cost: 0.05 })).toBeUndefined(); // no call yet
  });

  it('cannot be kept once a call went to a model without a price: no more model calls', () => {
    expect(budgetSpent(usage({ cost: 0.01, unpricedCalls: 1 }), { cost: 5 })).toBe(
      'the cost budget of $5.00 cannot be kept: 1 LLM call went to a model without a price (add it to PLANWRIGHT_PRICES)',
    );
  });

  it('is a positive number of dollars in the run input', () => {
    expect(parseRunInput({ goal: 'g', budget: { cost: 0.5 } }).budget).toEqual({ cost: 0.5 });
    expect(() => parseRunInput({ goal: 'g', budget: { cost: 0 } })).toThrow(InvalidRunInputError);
    expect(() => parseRunInput({ goal: 'g', budget: { cost: '1' } })).toThrow(/budget\.cost/);
    expect(() => parseRunInput({ goal: 'g', budget: { dollars: 1 } })).toThrow(/it takes llmCalls, tokens, cost/);
  });
});

describe('how a cost reads', () => {
  it('gives an estimate, what it leaves out, or says plainly that there is none', () => {
    expect(costText(usage({ cost: 0.00036 }))).toBe('≈ $0.00036');
    expect(costText(usage({ cost: 0.00036, unpricedCalls: 1 }))).toBe('≈ $0.00036 + 1 LLM call without a price');
    expect(costText(usage({ unpricedCalls: 2 }))).toBe(
      'cost not estimated (no price for the model; see PLANWRIGHT_PRICES)',
    );
    expect(costText(usage())).toBe('cost not estimated');
    expect(costText(NO_USAGE)).toBe('$0 (no LLM calls)');
  });

  it('says that the demos’ scripted model costs nothing, and keeps the hint for a real model without a price', () => {
    const tokens = { llmCalls: 2, inputTokens: 1245, outputTokens: 606 };
    const demo = pricedUsage(tokens, DEMO_MODEL);
    expect(demo).toEqual({ ...tokens, cost: 0 });
    expect(costText({ ...demo, toolCalls: 5 })).toBe('$0 (free model)');
    expect(describePrice(DEMO_MODEL)).toBe('model "scripted-demo" costs nothing (PLANWRIGHT_PRICES overrides it)');
    // A local model priced at nothing reads the same; one without a price still says where prices go.
    const free = priceTableFromEnv({ PLANWRIGHT_PRICES: '{"llama3.1": {"input": 0, "output": 0}}' });
    expect(costText({ ...pricedUsage(tokens, 'llama3.1', free), toolCalls: 0 })).toBe('$0 (free model)');
    expect(costText({ ...pricedUsage(tokens, 'llama3.1'), toolCalls: 0 })).toBe(
      'cost not estimated (no price for the model; see PLANWRIGHT_PRICES)',
    );
    // A priced model whose server reported no tokens: nothing to show but the estimate.
    expect(costText(usage({ inputTokens: 0, cost: 0 }))).toBe('≈ $0');
  });

  it('writes dollars with cents, or two significant digits below a dollar', () => {
    expect([12.345, 1.5, 0.5, 0.0512, 0.00036, 0.0000001234, 0].map(usd)).toEqual([
      '$12.35',
      '$1.50',
      '$0.50',
      '$0.051',
      '$0.00036',
      '$0.00000012',
      '$0',
    ]);
  });
});
