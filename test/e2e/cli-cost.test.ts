/**
 * The estimated cost as the command line shows it, on the dev server with the scripted model: priced, not
 * priced, and `--budget-cost` ending a run.
 */
import { describe, expect, it } from 'vitest';
import type { RunResult } from '../../src/contract/run-state.js';
import { usd } from '../../src/run/budget.js';
import { devServerSuite, scriptedWorker, terminal, useDevServer } from '../support/cli.js';
import { planReply, wireStep } from '../support/e2e.js';

const env = devServerSuite();

/** The scripted model priced as gpt-4o is: $2.50 per million input tokens, $10 per million output tokens. */
const priced = { model: { prices: { scripted: { input: 2.5, output: 10 } } } };
const countAll = planReply(wireStep('total', 'data_query', { file: 'support-tickets.csv' }));

describe('the estimated cost on the command line', () => {
  it('start --wait shows the cost of a priced model, and --json carries it in usage', async () => {
    const taskQueue = useDevServer();
    const { worker, model } = await scriptedWorker(
      env(),
      taskQueue,
      { plan: [countAll, countAll], synthesize: [{ content: '318 tickets.' }, { content: '318 tickets.' }] },
      priced,
    );
    const t = terminal();
    const [human, json] = await worker.runUntil(async () => {
      const code = await t.cli('start', 'Count the tickets', '--wait');
      const shown = t.stdout();
      return [{ code, shown }, { code: await t.cli('start', 'Count the tickets', '--wait', '--json') }] as const;
    });
    await model.close();
    expect(human.code).toBe(0);
    const result = JSON.parse(t.stdout().slice(human.shown.length)) as RunResult;
    expect(json.code).toBe(0);
    const { inputTokens, outputTokens, cost } = result.usage;
    expect(cost).toBeCloseTo((inputTokens * 2.5 + outputTokens * 10) / 1_000_000, 10);
    expect(human.shown).toMatch(
      /Status: completed · 1\/1 steps succeeded · 2 LLM calls \(\d+ in \/ \d+ out tokens\) · ≈ \$0\.\d+ · 1 tool calls/,
    );
    // Both runs asked the same, so the text shows the cost the JSON carries.
    expect(human.shown).toContain(`out tokens) · ≈ ${usd(cost!)} · `);
  });

  it('says plainly that the cost is not estimated for a model without a price', async () => {
    const taskQueue = useDevServer();
    const { worker, model } = await scriptedWorker(env(), taskQueue, {
      plan: [countAll],
      synthesize: [{ content: '318 tickets.' }],
    });
    const t = terminal();
    const code = await worker.runUntil(() => t.cli('start', 'Count the tickets', '--wait'));
    await model.close();
    expect(code).toBe(0);
    expect(t.stdout()).toContain('cost not estimated (no price for the model; see PLANWRIGHT_PRICES)');
  });

  it('--budget-cost ends the run partial once the estimate reaches it, and refuses a budget that is not one', async () => {
    const taskQueue = useDevServer();
    const { worker, model } = await scriptedWorker(env(), taskQueue, { plan: [countAll] }, priced);
    const t = terminal();
    const code = await worker.runUntil(() =>
      t.cli('start', 'Count the tickets', '--budget-cost', '0.000001', '--wait'),
    );
    await model.close();
    expect(code).toBe(1);
    expect(t.stdout()).toContain('Status: partial');
    expect(t.stdout()).toMatch(/Failure: the budget of \$0\.000001 is spent \(\$0\.\d+ estimated\)/);
    expect(model.requests.map((r) => r.phase)).toEqual(['plan']);

    expect(await t.cli('start', 'Count the tickets', '--budget-cost=-1')).toBe(2);
    expect(t.stderr()).toContain(
      'planwright: invalid run input: --budget-cost=-1: expected a positive number of US dollars',
    );
  });
});
