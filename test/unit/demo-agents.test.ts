/**
 * The seed agents' tools over their example data (and over changed copies of it, for the branches the demos
 * do not take), the scripted replanners', checker's and writers' choices, and the demo names the CLI accepts.
 */
import { cp, mkdir, mkdtemp, readFile, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { checkHotels, findDestinations, searchFlights, searchTrains } from '../../examples/getaway/tools.js';
import { cleanOrders, extractOrders, loadTable, normalizeOrders } from '../../examples/pipeline/tools.js';
import { readSource, searchSources } from '../../examples/research/tools.js';
import { runDemo } from '../../src/cli/demo.js';
import { UsageError } from '../../src/cli/errors.js';
import { DEMO_AGENTS } from '../../src/demo/agents.js';
import { GETAWAY_WORKSPACE, replanGetaway } from '../../src/demo/getaway.js';
import {
  INVALID_PIPELINE_PLAN,
  PIPELINE_PLAN,
  PIPELINE_WORKSPACE,
  checkDaily,
  writePipelineReport,
} from '../../src/demo/pipeline.js';
import { planFromWire, wirePlanSchema } from '../../src/contract/plan.js';
import { validatePlan, formatIssues } from '../../src/plan/validate.js';
import { builtinTools } from '../../src/tools/builtin.js';
import { toolInfo } from '../../src/tools/define.js';
import { RESEARCH_WORKSPACE, decideResearch, replanResearch } from '../../src/demo/research.js';
import { initialState } from '../../src/run/state.js';
import { parseRunInput } from '../../src/contract/run-input.js';
import type { RecordedRequest } from '../../src/testing/scripted-model.js';
import { ToolError, type Tool, type ToolContext } from '../../src/tools/define.js';
import { rejectionOf } from '../support/rejection.js';

const context = (workspace: string): ToolContext => ({
  workspace,
  signal: new AbortController().signal,
  heartbeat: () => {},
  log: { debug: () => {}, info: () => {}, warn: () => {}, error: () => {} },
});

/** Runs a tool as the worker does: input parsed by its schema, output checked by its schema. */
async function call(tool: Tool, input: unknown, workspace: string): Promise<unknown> {
  const output = await tool.run(tool.input.parse(input), context(workspace));
  return tool.output ? tool.output.parse(output) : output;
}

/** A copy of a workspace with one file replaced. */
async function changed(workspace: string, file: string, content: unknown): Promise<string> {
  const copy = await mkdtemp(path.join(tmpdir(), 'pw-demo-'));
  await cp(workspace, copy, { recursive: true });
  await writeFile(path.join(copy, file), JSON.stringify(content));
  return copy;
}

const trip = { from: 'Berlin', to: 'Prague', date: '2026-12-11', travellers: 2 };

describe('the getaway tools', () => {
  it('list destinations within reach, quickest by train first', async () => {
    const found = (await call(findDestinations, { from: 'berlin', maxTravelHours: 7 }, GETAWAY_WORKSPACE)) as {
      options: Array<{ city: string }>;
    };
    expect(found.options.map((o) => o.city)).toEqual(['Prague', 'Amsterdam', 'Copenhagen']);
    const err = await rejectionOf(
      call(findDestinations, { from: 'Paris', maxTravelHours: 7 }, GETAWAY_WORKSPACE),
      ToolError,
    );
    expect(err).toMatchObject({
      retryable: false,
      message: 'no destinations are known from Paris; this example knows trips from Berlin',
    });
  });

  it('search flights while the API is up, and fail retryably while it is down', async () => {
    const down = await rejectionOf(call(searchFlights, trip, GETAWAY_WORKSPACE), ToolError);
    expect(down.retryable).toBe(true);
    expect(down.message).toMatch(/^the flight search API is unavailable: 503/);
    const up = await changed(GETAWAY_WORKSPACE, 'flight-api.json', { status: 'up' });
    expect(await call(searchFlights, trip, up)).toEqual({
      mode: 'flight',
      from: 'Berlin',
      to: 'Prague',
      date: '2026-12-11',
      departs: '07:05',
      arrives: '08:10',
      hours: 1.1,
      pricePerPerson: 89,
      total: 178,
    });
  });

  it('find the cheapest train, and fail for good when there is none', async () => {
    expect(await call(searchTrains, trip, GETAWAY_WORKSPACE)).toMatchObject({
      mode: 'train',
      departs: '08:38',
      total: 79.8,
    });
    const none = await rejectionOf(call(searchTrains, { ...trip, date: '2026-12-24' }, GETAWAY_WORKSPACE), ToolError);
    expect(none).toMatchObject({ retryable: false, message: 'no train from Berlin to Prague on 2026-12-24' });
  });

  it('find a hotel with a room every night, and fail for good when all are full', async () => {
    const stay = { city: 'Prague', checkIn: '2026-12-11', nights: 2, guests: 2 };
    const full = await rejectionOf(call(checkHotels, stay, GETAWAY_WORKSPACE), ToolError);
    expect(full).toMatchObject({
      retryable: false,
      message: 'every hotel in Prague is full for 2 nights from 2026-12-11 (3 checked)',
    });
    // The Saturday night alone has a room.
    expect(await call(checkHotels, { ...stay, checkIn: '2026-12-12', nights: 1 }, GETAWAY_WORKSPACE)).toEqual({
      city: 'Prague',
      hotel: 'Old Town Residence',
      checkIn: '2026-12-12',
      nights: 1,
      pricePerNight: 96,
      total: 96,
    });
    expect(await call(checkHotels, { ...stay, city: 'Copenhagen' }, GETAWAY_WORKSPACE)).toMatchObject({
      hotel: 'Vesterbro Design Rooms',
      total: 284,
    });
    await expect(call(checkHotels, { ...stay, checkIn: '11 December' }, GETAWAY_WORKSPACE)).rejects.toThrow(
      'expected a date as YYYY-MM-DD',
    );
  });
});

describe('the research tools', () => {
  it('search the library by keywords, best first, leaving poor matches out', async () => {
    const found = (await call(
      searchSources,
      { query: 'air-source heat pump performance in cold climates' },
      RESEARCH_WORKSPACE,
    )) as {
      results: Array<{ id: string }>;
    };
    expect(found.results.map((r) => r.id)).toEqual([
      'nordic-field-trial-2022',
      'owner-survey-2023',
      'lab-rating-2021',
      'grid-review-2024',
      'retrofit-costs-2024',
    ]);
    const ground = (await call(searchSources, { query: 'ground-source guide', limit: 2 }, RESEARCH_WORKSPACE)) as {
      results: Array<{ id: string }>;
    };
    expect(ground.results.map((r) => r.id)).toEqual(['ground-source-guide-2020']);
  });

  it('read an open source; fail for good on a paywalled, withdrawn or unknown one', async () => {
    expect(await call(readSource, { id: 'owner-survey-2023' }, RESEARCH_WORKSPACE)).toMatchObject({
      year: 2023,
      summary: expect.stringMatching(/^Owners of air-source heat pumps/),
      findings: [
        '87% were satisfied with indoor comfort during the coldest week of the winter.',
        'owners who switched from oil reported heating bills 38% lower on average.',
        '14% reported defrost noise or ice build-up as a nuisance; 4% had a breakdown in the first two years.',
      ],
    });
    const refusals = await Promise.all(
      ['lab-rating-2021', 'grid-review-2024', 'nope'].map((id) =>
        rejectionOf(call(readSource, { id }, RESEARCH_WORKSPACE), ToolError),
      ),
    );
    expect(refusals.map((e) => [e.retryable, e.message.replace(/^.*\) /, '')])).toEqual([
      [false, 'is behind a paywall: the full text needs a subscription (HTTP 402)'],
      [false, 'was withdrawn by its publisher (HTTP 410)'],
      [false, 'no source "nope" in the library; search for sources first'],
    ]);
  });
});

/** A replan request as the replanner activity writes it, holding these finished steps and this failure. */
function replanRequest(done: unknown[], failure: string): RecordedRequest {
  const content = `Goal: g\n\nWhat failed: ${failure}\n\nFinished steps:\n\`\`\`json\n${JSON.stringify(done)}\n\`\`\``;
  return {
    phase: 'replan',
    path: '/v1/chat/completions',
    model: 'scripted',
    messages: [{ role: 'user', content }],
    body: {},
  };
}

describe('the scripted replanners', () => {
  it('move the getaway to the next destination, by train once trains had to be taken, or finish with none left', () => {
    const destinations = {
      id: 'destinations',
      status: 'succeeded',
      output: { options: [{ city: 'Prague' }, { city: 'Amsterdam' }] },
    };
    const byTrain = { id: 'outbound', status: 'succeeded', output: { mode: 'train', to: 'Prague' } };
    const revise = replanGetaway(
      replanRequest([destinations, byTrain], 'step "stay": every hotel in Prague is full for 2 nights'),
    );
    expect(revise).toMatchObject({ content: { action: 'revise' } });
    const steps = (revise as { content: { steps: Array<{ id: string; tool: string; args: string }> } }).content.steps;
    expect(steps.map((s) => [s.id, s.tool])).toEqual([
      ['outbound_2', 'search_trains'],
      ['stay_2', 'check_hotels'],
      ['budget_2', 'calculator'],
    ]);
    expect(JSON.parse(steps[1]!.args)).toMatchObject({ city: '{{destinations.options.1.city}}' });
    const last = replanGetaway(
      replanRequest([destinations], 'step "stay_2": every hotel in Amsterdam is full for 2 nights'),
    );
    expect(last).toMatchObject({ content: { action: 'finish', reason: 'every destination within reach is full' } });
  });

  it('read the next search result in place of a source that failed, until none is left', () => {
    const search = { id: 'search', status: 'succeeded', output: { results: [{}, {}, {}, {}] } };
    const revise = replanResearch(replanRequest([search], 'step "read_3": behind a paywall'));
    const steps = (revise as { content: { steps: Array<{ id: string; args: string }> } }).content.steps;
    expect(steps.map((s) => [s.id, JSON.parse(s.args)])).toEqual([['read_4', { id: '{{search.results.3.id}}' }]]);
    expect(replanResearch(replanRequest([search], 'step "read_4": withdrawn'))).toMatchObject({
      content: { action: 'finish', reason: 'no search result is left to try' },
    });
  });

  it('answer for the person: replan while replans are left, then skip', () => {
    const input = parseRunInput({ goal: 'g', maxReplans: 1 });
    const state = initialState('g');
    expect(decideResearch(state, input).decision).toBe('replan');
    state.replans = 1;
    expect(decideResearch(state, input)).toEqual({
      decision: 'skip',
      note: 'no replans left: write the brief from the sources that could be read',
    });
  });
});

/** A copy of the pipeline's data, for tools that write. */
async function pipelineCopy(): Promise<string> {
  const copy = await mkdtemp(path.join(tmpdir(), 'pw-pipeline-'));
  await cp(PIPELINE_WORKSPACE, copy, { recursive: true });
  return copy;
}

const SOURCES = [
  { file: 'raw/web-orders.csv', channel: 'web' },
  { file: 'raw/store-orders.csv', channel: 'store' },
];
const staged = { input: 'staging/orders.csv', into: 'staging/orders-clean.csv' };

describe('the pipeline tools', () => {
  it('extract both exports, comma- and semicolon-separated, into one staging file tagged by channel', async () => {
    const workspace = await pipelineCopy();
    expect(await call(extractOrders, { sources: SOURCES, into: 'staging/orders.csv' }, workspace)).toEqual({
      staged: 'staging/orders.csv',
      rows: 36,
      files: [
        { file: 'raw/web-orders.csv', channel: 'web', rows: 21, delimiter: ',' },
        { file: 'raw/store-orders.csv', channel: 'store', rows: 15, delimiter: ';' },
      ],
    });
    const text = await readFile(path.join(workspace, 'staging/orders.csv'), 'utf8');
    expect(text.split('\n')[0]).toBe('order_id,order_date,customer_id,sku,quantity,unit_price,channel');
    expect(text).toContain('S-2001,02.03.2026,C-301,MUG-01,1,"12,50",store\n');
    await writeFile(path.join(workspace, 'raw/short.csv'), 'order_id,order_date\nX-1,2026-03-02\n');
    const short = await rejectionOf(
      call(extractOrders, { sources: [{ file: 'raw/short.csv', channel: 'web' }], into: 'x.csv' }, workspace),
      ToolError,
    );
    expect(short).toMatchObject({
      retryable: false,
      message: 'raw/short.csv has no column customer_id, sku, quantity, unit_price',
    });
    const outside = await rejectionOf(
      call(extractOrders, { sources: SOURCES, into: '../x.csv' }, workspace),
      ToolError,
    );
    expect(outside.message).toBe('"../x.csv" leads outside the workspace');
  });

  it("clean strictly, rejecting the tills' regional formats; normalize them first, rejecting only bad rows", async () => {
    const workspace = await pipelineCopy();
    await call(extractOrders, { sources: SOURCES, into: 'staging/orders.csv' }, workspace);
    const strict = (await call(cleanOrders, staged, workspace)) as { rejected: Array<{ reason: string }> };
    expect(strict).toMatchObject({ rowsIn: 36, rowsOut: 19, converted: 0, rejectedShare: 0.444 });
    expect(strict.rejected[1]).toEqual({
      reason: 'order_date is not a date written YYYY-MM-DD',
      rows: 15,
      example: 'S-2001 "02.03.2026"',
    });
    expect(await call(normalizeOrders, staged, workspace)).toEqual({
      input: 'staging/orders.csv',
      file: 'staging/orders-clean.csv',
      rowsIn: 36,
      rowsOut: 33,
      duplicatesRemoved: 1,
      converted: 14,
      rejected: [
        { reason: 'quantity is missing', rows: 1, example: 'W-1015' },
        { reason: 'quantity is not a positive whole number', rows: 1, example: 'S-2011 "-1"' },
      ],
      rejectedShare: 0.056,
      quarantine: 'staging/orders-clean.rejected.csv',
    });
    const clean = await readFile(path.join(workspace, 'staging/orders-clean.csv'), 'utf8');
    expect(clean).toContain('\nW-1012,2026-03-06,C-110,TEE-02,3,19.90,web\n'); // trimmed, upper-cased
    expect(clean).toContain('\nS-2001,2026-03-02,C-301,MUG-01,1,12.50,store\n');
    expect(await readFile(path.join(workspace, 'staging/orders-clean.rejected.csv'), 'utf8')).toBe(
      'order_id,order_date,customer_id,sku,quantity,unit_price,channel,reason\n' +
        'W-1015,2026-03-07,C-112,TEE-02,,19.90,web,quantity is missing\n' +
        'S-2011,07.03.2026,C-311,TEE-02,-1,"19,90",store,quantity is not a positive whole number\n',
    );
  });

  it('reject an order id repeated with other values, and a real date only', async () => {
    const workspace = await pipelineCopy();
    await mkdir(path.join(workspace, 'staging'));
    await writeFile(
      path.join(workspace, 'staging/orders.csv'),
      'order_id,order_date,customer_id,sku,quantity,unit_price,channel\n' +
        'A-1,2026-03-02,C-1,MUG-01,1,12.50,web\nA-1,2026-03-02,C-1,MUG-01,2,12.50,web\n' +
        'A-2,2026-02-30,C-2,MUG-01,1,12.50,web\nA-3,2026-13-01,C-3,MUG-01,1,12.50,web\n',
    );
    expect(await call(cleanOrders, staged, workspace)).toMatchObject({
      rowsOut: 1,
      rejected: [
        { reason: 'order_id repeated with different values', rows: 1, example: 'A-1' },
        { reason: 'order_date is not a date written YYYY-MM-DD', rows: 2, example: 'A-2 "2026-02-30"' },
      ],
    });
  });

  it('load a table as declared, replacing what it held, and refuse rows that do not fit', async () => {
    const workspace = await pipelineCopy();
    const day = { order_date: '2026-03-03', orders: 1, items: 2, revenue: 25, web_revenue: 25, store_revenue: 0 };
    const rows = [day, { ...day, order_date: '2026-03-02' }];
    expect(await call(loadTable, { table: 'daily_revenue', rows }, workspace)).toEqual({
      table: 'daily_revenue',
      file: 'warehouse/daily_revenue.csv',
      rowsWritten: 2,
      replacedRows: 0,
      keys: { column: 'order_date', from: '2026-03-02', to: '2026-03-03' },
    });
    expect(await readFile(path.join(workspace, 'warehouse/daily_revenue.csv'), 'utf8')).toBe(
      'order_date,orders,items,revenue,web_revenue,store_revenue\n' +
        '2026-03-02,1,2,25,25,0\n2026-03-03,1,2,25,25,0\n',
    );
    expect(await call(loadTable, { table: 'daily_revenue', rows: [day] }, workspace)).toMatchObject({
      rowsWritten: 1,
      replacedRows: 2,
    });
    const refusals: Array<[unknown, string]> = [
      [{ table: 'sales', rows }, 'the warehouse has no table sales; it has daily_revenue'],
      [
        { table: 'daily_revenue', rows: [] },
        'no rows to load: daily_revenue is left as it was (an empty load would wipe it)',
      ],
      [
        { table: 'daily_revenue', rows: [day, day] },
        'cannot load daily_revenue: row 2 repeats the key order_date = "2026-03-03"',
      ],
      [
        { table: 'daily_revenue', rows: [{ ...day, orders: 1.5 }] },
        'cannot load daily_revenue: row 1: orders is 1.5; daily_revenue.orders must be of type integer',
      ],
      [
        { table: 'daily_revenue', rows: [{ ...day, region: 'north' }] },
        'cannot load daily_revenue: row 1 has columns daily_revenue does not have: region',
      ],
    ];
    for (const [input, message] of refusals) {
      const err = await rejectionOf(call(loadTable, input, workspace), ToolError);
      expect(err).toMatchObject({ retryable: false, message });
    }
    expect(await readFile(path.join(workspace, 'warehouse/daily_revenue.csv'), 'utf8')).toContain('2026-03-03,1,2');
  });
});

/** A check or synthesis request quoting these step results. */
function quoting(phase: 'check' | 'synthesize', steps: unknown[]): RecordedRequest {
  const content = `Goal: g\n\nStep results:\n\`\`\`json\n${JSON.stringify(steps)}\n\`\`\``;
  return { phase, path: '/v1/chat/completions', model: 'scripted', messages: [{ role: 'user', content }], body: {} };
}

describe('the pipeline script', () => {
  const tools = [...builtinTools, extractOrders, cleanOrders, normalizeOrders, loadTable].map(toolInfo);
  const validated = (reply: { content?: unknown }) => {
    const { plan } = planFromWire(wirePlanSchema().parse(reply.content));
    return formatIssues(validatePlan(plan, { tools, maxSteps: 25 }));
  };

  it('has a first plan that validation refuses, with every problem, and a revision that passes', () => {
    expect(validated(INVALID_PIPELINE_PLAN as { content: unknown })).toBe(
      '- step "daily": depends on "validate", which is not a step of this plan\n' +
        '- step "daily": {{clean.file}} refers to "clean", which is not among its dependencies; add it to dependsOn\n' +
        '- step "load": {{daily.rows}} refers to "daily", which is not among its dependencies; add it to dependsOn',
    );
    expect(validated(PIPELINE_PLAN as { content: unknown })).toBe('');
  });

  it('checks that the days are consecutive, and says where they are not', () => {
    const days = (...dates: string[]) => [
      { id: 'daily', status: 'succeeded', output: { rows: dates.map((d) => ({ order_date: d })) } },
    ];
    expect(checkDaily(quoting('check', days('2026-02-28', '2026-03-01', '2026-03-02')))).toEqual({
      content: { passed: true, reason: '3 rows, one for each day from 2026-02-28 to 2026-03-02, none missing' },
    });
    expect(checkDaily(quoting('check', days('2026-03-02', '2026-03-04')))).toEqual({
      content: { passed: false, reason: 'the rows jump from 2026-03-02 to 2026-03-04' },
    });
    expect(checkDaily(quoting('check', days()))).toMatchObject({ content: { passed: false } });
  });

  it('reports a load that did not happen as such, with what was not done', () => {
    const report = writePipelineReport(
      quoting('synthesize', [
        { id: 'extract', title: 'Extract the order exports', status: 'succeeded', output: {} },
        { id: 'load', title: 'Load daily_revenue into the warehouse', status: 'failed', error: 'cannot load' },
      ]),
    );
    expect(report).toBe(
      '# daily_revenue was not refreshed\n\nThe table keeps what it held. Not done:\n' +
        '- Load daily_revenue into the warehouse (failed)',
    );
  });
});

describe('planwright demo names', () => {
  it('knows the support report, the getaway, the research brief and the pipeline, and refuses others before starting anything', async () => {
    expect(Object.keys(DEMO_AGENTS)).toEqual(['support-report', 'getaway', 'research', 'pipeline']);
    const err = await rejectionOf(runDemo({ agent: 'holiday', keep: false, print: () => {} }), UsageError);
    expect(err.message).toBe('there is no demo "holiday"; run one of: support-report, getaway, research, pipeline');
  });
});
