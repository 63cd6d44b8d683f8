/**
 * The seed agents' tools over their example data (and over changed copies of it, for the branches the demos
 * do not take), the scripted replanners' choices, and the demo names the CLI accepts.
 */
import { cp, mkdtemp, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { checkHotels, findDestinations, searchFlights, searchTrains } from '../../examples/getaway/tools.js';
import { readSource, searchSources } from '../../examples/research/tools.js';
import { runDemo } from '../../src/cli/demo.js';
import { UsageError } from '../../src/cli/errors.js';
import { DEMO_AGENTS } from '../../src/demo/agents.js';
import { GETAWAY_WORKSPACE, replanGetaway } from '../../src/demo/getaway.js';
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

describe('planwright demo names', () => {
  it('knows the support report, the getaway and the research brief, and refuses others before starting anything', async () => {
    expect(Object.keys(DEMO_AGENTS)).toEqual(['support-report', 'getaway', 'research']);
    const err = await rejectionOf(runDemo({ agent: 'holiday', keep: false, print: () => {} }), UsageError);
    expect(err.message).toBe('there is no demo "holiday"; run one of: support-report, getaway, research');
  });
});
