/**
 * Model prices: what a token costs, per model, so usage can be turned into an estimated cost in US dollars.
 * The defaults are published list prices (standard tier, no cached-input or batch discounts) and only an
 * estimate; `PLANWRIGHT_PRICES` adds models or overrides them. A model without a price has no cost estimate.
 */
import { readFileSync } from 'node:fs';
import { z } from 'zod';
import { protoKeyPath, protoKeyProblem } from '../json-config.js';

/** What a model's tokens cost, in US dollars per million tokens. */
export interface ModelPrice {
  input: number;
  output: number;
}

/** Prices by model name. */
export type PriceTable = Readonly<Record<string, ModelPrice>>;

/**
 * The model name the demos run their scripted model under (`planwright demo` without a real model): it runs no
 * model, so its tokens cost nothing. (The test kit's `scripted` has no price, so tests can show unpriced calls.)
 */
export const DEMO_MODEL = 'scripted-demo';

/**
 * List prices of common OpenAI models in USD per million tokens (standard tier, as published mid-2025), and the
 * demos' scripted model's, which is nothing. An estimate: providers change prices, cached input costs less, and Azure
 * deployments have names of their own.
 */
export const DEFAULT_PRICES: PriceTable = priceTable({
  [DEMO_MODEL]: { input: 0, output: 0 },
  'gpt-5': { input: 1.25, output: 10 },
  'gpt-5-mini': { input: 0.25, output: 2 },
  'gpt-5-nano': { input: 0.05, output: 0.4 },
  'gpt-5-chat-latest': { input: 1.25, output: 10 },
  'gpt-4.1': { input: 2, output: 8 },
  'gpt-4.1-mini': { input: 0.4, output: 1.6 },
  'gpt-4.1-nano': { input: 0.1, output: 0.4 },
  'gpt-4o': { input: 2.5, output: 10 },
  'gpt-4o-2024-05-13': { input: 5, output: 15 },
  'gpt-4o-mini': { input: 0.15, output: 0.6 },
  o1: { input: 15, output: 60 },
  'o1-mini': { input: 1.1, output: 4.4 },
  'o1-pro': { input: 150, output: 600 },
  o3: { input: 2, output: 8 },
  'o3-mini': { input: 1.1, output: 4.4 },
  'o3-pro': { input: 20, output: 80 },
  'o4-mini': { input: 1.1, output: 4.4 },
  'gpt-4-turbo': { input: 10, output: 30 },
  'gpt-3.5-turbo': { input: 0.5, output: 1.5 },
});

/**
 * A frozen price table without a prototype: looking up a model named `constructor` or `toString` finds no price,
 * rather than a function of Object.prototype.
 */
function priceTable(prices: Record<string, ModelPrice>): PriceTable {
  return Object.freeze(Object.assign(Object.create(null) as Record<string, ModelPrice>, prices));
}

/** The environment variable that adds or overrides prices: JSON text, or the path of a JSON file. */
export const PRICES_VARIABLE = 'PLANWRIGHT_PRICES';

const PriceSchema = z
  .object({
    input: z.number().min(0, 'must be a price of at least 0'),
    output: z.number().min(0, 'must be a price of at least 0'),
  })
  .strict();
const TableSchema = z.record(z.string().min(1), PriceSchema);

/** Thrown when `PLANWRIGHT_PRICES` cannot be read or is not a price table; the message says what to write. */
export class PriceConfigError extends Error {
  override readonly name = 'PriceConfigError';
}

/**
 * The price table: the defaults, with the models of `PLANWRIGHT_PRICES` added or replaced. The variable holds
 * JSON (`{"my-model": {"input": 0.5, "output": 1.5}}`, USD per million tokens) or the path of a file of it.
 * @throws {PriceConfigError} naming what is wrong with the variable or its file.
 * @example priceTableFromEnv({ PLANWRIGHT_PRICES: '{"llama3.1": {"input": 0, "output": 0}}' })
 */
export function priceTableFromEnv(env: NodeJS.ProcessEnv = process.env): PriceTable {
  const value = env[PRICES_VARIABLE]?.trim();
  if (!value) return DEFAULT_PRICES;
  const where = value.startsWith('{') ? PRICES_VARIABLE : `${PRICES_VARIABLE} file ${value}`;
  let text = value;
  if (!value.startsWith('{')) {
    try {
      text = readFileSync(value, 'utf8');
    } catch (err) {
      throw new PriceConfigError(
        `${PRICES_VARIABLE}=${value}: cannot read it (${(err as Error).message}); give JSON or the path of a JSON file`,
      );
    }
  }
  let raw: unknown;
  try {
    raw = JSON.parse(text);
  } catch (err) {
    throw new PriceConfigError(`${where} is not JSON (${(err as Error).message}); ${EXPECTED}`);
  }
  const unusable = protoKeyPath(raw);
  if (unusable !== undefined) throw new PriceConfigError(`${where}: ${protoKeyProblem(unusable)}`);
  const parsed = TableSchema.safeParse(raw);
  if (!parsed.success) {
    const problems = parsed.error.issues.map((i) => `${i.path.join('.') || '(top)'}: ${i.message}`).join('; ');
    throw new PriceConfigError(`${where} is not a price table (${problems}); ${EXPECTED}`);
  }
  return priceTable({ ...DEFAULT_PRICES, ...parsed.data });
}

const EXPECTED =
  'expected {"<model>": {"input": <USD per million input tokens>, "output": <USD per million output tokens>}}';

/**
 * The price of a model: by its exact name, else by the name without a snapshot date (`gpt-4o-mini-2024-07-18`
 * costs what `gpt-4o-mini` does, `gpt-4-0613` what `gpt-4` does); undefined when the table has neither.
 */
export function priceOf(model: string, table: PriceTable = DEFAULT_PRICES): ModelPrice | undefined {
  const exact = table[model];
  if (exact) return exact;
  const undated = /^(.+?)-(\d{4}-\d{2}-\d{2}|\d{4})$/.exec(model)?.[1];
  return undated ? table[undated] : undefined;
}

/** The estimated cost in US dollars of `inputTokens` and `outputTokens` at `price`. */
export function costOf(tokens: { inputTokens: number; outputTokens: number }, price: ModelPrice): number {
  return (tokens.inputTokens * price.input + tokens.outputTokens * price.output) / 1_000_000;
}

/** One line saying what a model's tokens are taken to cost, or that its cost is not estimated. */
export function describePrice(model: string, table: PriceTable = DEFAULT_PRICES): string {
  const price = priceOf(model, table);
  if (!price) {
    return `no price for model "${model}": costs are not estimated (add it to ${PRICES_VARIABLE} to estimate them)`;
  }
  if (price.input === 0 && price.output === 0)
    return `model "${model}" costs nothing (${PRICES_VARIABLE} overrides it)`;
  return `model "${model}" is priced at $${price.input} in / $${price.output} out per million tokens (an estimate; ${PRICES_VARIABLE} overrides it)`;
}
