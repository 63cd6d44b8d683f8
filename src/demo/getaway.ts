/**
 * The weekend-getaway demo: plan a weekend away from Berlin with the tools of `examples/getaway/`. The flight
 * search API is down, so the outbound step falls back to trains once its retries are spent; every hotel in the
 * first destination is full, so the replanner moves the trip to the next destination, keeping what was done.
 * Offline it runs against the scripted model below, whose replanner and writer work from what the tools returned.
 */
import { fileURLToPath } from 'node:url';
import type { WirePlan } from '../contract/plan.js';
import type { RecordedRequest, Script, ScriptedReply } from '../testing/scripted-model.js';
import { failureIn, stepRows, wireStep, type StepRow } from './requests.js';

/** Directory the getaway tools read their data from. */
export const GETAWAY_WORKSPACE = fileURLToPath(new URL('../../examples/getaway/', import.meta.url));

/** The getaway demo's goal. */
export const GETAWAY_GOAL =
  'Plan a weekend away for two from Berlin, Friday 11 to Sunday 13 December 2026: somewhere within 7 hours, ' +
  'with the outbound journey, a hotel for both nights, and an estimate of the total cost.';

const FROM = 'Berlin';
const DATE = '2026-12-11';
const TRAVELLERS = 2;

/** The steps that take the trip to destination number `index` of the destinations step, by `mode`. */
function tripSteps(index: number, suffix: string, mode: 'flight-or-train' | 'train'): WirePlan['steps'] {
  const city = `{{destinations.options.${index}.city}}`;
  const trip = { from: FROM, to: city, date: DATE, travellers: TRAVELLERS };
  const outbound = `outbound${suffix}`;
  const stay = `stay${suffix}`;
  return [
    mode === 'train'
      ? wireStep(outbound, 'Train there', ['destinations'], 'search_trains', trip)
      : wireStep(outbound, 'Get there (flight, else train)', ['destinations'], 'search_flights', trip, {
          tool: 'search_trains',
          args: trip,
        }),
    wireStep(stay, 'Hotel for both nights', ['destinations'], 'check_hotels', {
      city,
      checkIn: DATE,
      nights: 2,
      guests: TRAVELLERS,
    }),
    wireStep(`budget${suffix}`, 'Estimate the total', [outbound, stay], 'calculator', {
      expression: `round({{${outbound}.total}} * 2 + {{${stay}.total}}, 2)`,
    }),
  ];
}

/** The plan the scripted planner proposes: the quickest destination, flying if possible. */
export const GETAWAY_PLAN: WirePlan = {
  rationale: 'Find destinations within reach, then travel and a hotel for the first one in parallel, then the cost.',
  steps: [
    wireStep('destinations', 'Destinations within 7 hours', [], 'find_destinations', {
      from: FROM,
      maxTravelHours: 7,
      limit: 3,
    }),
    ...tripSteps(0, '', 'flight-or-train'),
  ],
};

interface Destination {
  city: string;
  trainHours: number;
  why: string;
}

const outputOf = <T>(rows: StepRow[], id: string) =>
  rows.find((r) => r.id === id && r.status === 'succeeded')?.output as T | undefined;

/**
 * The scripted replanner: after a hotel step failed because the city is full, move the trip to the next
 * destination the destinations step found (by train if the journey so far had to go by train); with none left,
 * finish with what was found.
 */
export function replanGetaway(request: RecordedRequest): ScriptedReply {
  const rows = stepRows(request);
  const failure = failureIn(request);
  const options = outputOf<{ options: Destination[] }>(rows, 'destinations')?.options ?? [];
  const full = /every hotel in (.+?) is full/.exec(failure?.message ?? '')?.[1];
  const next = options.findIndex((o) => o.city === full) + 1;
  if (!full || next === 0 || next >= options.length) {
    const reason = full ? `every destination within reach is full` : `the failure is not a full city`;
    return decision('finish', reason, { answer: `No weekend could be arranged: ${failure?.message ?? reason}.` });
  }
  const byTrain = rows.some((r) => r.status === 'succeeded' && (r.output as { mode?: string })?.mode === 'train');
  const reason =
    `every hotel in ${full} is full that weekend; ${options[next]?.city} is the next destination within reach` +
    (byTrain ? ', and the journey goes by train (flights could not be searched)' : '');
  return decision('revise', reason, { steps: tripSteps(next, `_${next + 1}`, byTrain ? 'train' : 'flight-or-train') });
}

function decision(
  action: 'revise' | 'finish',
  reason: string,
  extra: { steps?: WirePlan['steps']; answer?: string },
): ScriptedReply {
  return { content: { action, reason, answer: extra.answer ?? null, steps: extra.steps ?? null } };
}

interface Trip {
  mode: string;
  to: string;
  departs: string;
  arrives: string;
  hours: number;
  pricePerPerson: number;
  total: number;
}
interface Stay {
  city: string;
  hotel: string;
  checkIn: string;
  nights: number;
  pricePerNight: number;
  total: number;
}

const euros = (n: number) => `€${n.toFixed(2).replace(/\.00$/, '')}`;

/** Writes the itinerary from the step results quoted in a synthesis request. */
export function writeItinerary(request: RecordedRequest): string {
  const rows = stepRows(request);
  const done = rows.filter((r) => r.status === 'succeeded');
  const latest = [...done].reverse(); // later steps (of a revised plan) first
  const stay = latest.map((r) => r.output as Stay).find((o) => typeof o?.hotel === 'string');
  if (!stay) return 'No weekend could be arranged: no hotel had a room on those nights.';
  const trip = latest.map((r) => r.output as Trip).find((o) => o?.to === stay.city && typeof o.total === 'number');
  const total = latest.find((r) => r.id.startsWith('budget'))?.output as { value?: number } | undefined;
  const options = outputOf<{ options: Destination[] }>(rows, 'destinations')?.options ?? [];
  const chosen = options.find((o) => o.city === stay.city);
  const lines = [`# A weekend in ${stay.city}, 11–13 December 2026`, ''];
  if (trip) {
    lines.push(
      `- **Getting there:** ${trip.mode} from ${FROM} at ${trip.departs}, arriving ${trip.arrives} (${trip.hours} h); ` +
        `${euros(trip.pricePerPerson)} a person, ${euros(trip.total)} for two.`,
    );
  }
  lines.push(
    `- **Staying:** ${stay.hotel}, ${stay.nights} nights from ${stay.checkIn} at ${euros(stay.pricePerNight)} a night: ${euros(stay.total)}.`,
  );
  if (total?.value !== undefined) {
    lines.push(`- **Estimated total:** ${euros(total.value)} for two, the journey home priced as the one there.`);
  }
  if (chosen) lines.push('', `Why ${stay.city}: ${chosen.why}.`);
  const first = options[0];
  if (first && first.city !== stay.city) {
    lines.push(`${first.city} came first (${first.trainHours} h by train) but could not be booked for these nights.`);
  }
  return lines.join('\n');
}

/** The scripted model's script for one getaway run. */
export function getawayScript(): Script {
  return {
    plan: [{ content: GETAWAY_PLAN }],
    replan: [replanGetaway, replanGetaway],
    synthesize: [(request) => ({ content: writeItinerary(request) })],
  };
}
