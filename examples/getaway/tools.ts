/**
 * Tools of the weekend-getaway agent: destinations within reach, flights, trains and hotel rooms. They read
 * the JSON files next to this module (in the worker's workspace), so every run sees the same world: the flight
 * search API is down (`flight-api.json`), and every hotel in Prague is full on the weekend of 11 December 2026.
 *
 *   PLANWRIGHT_TOOLS=./examples/getaway/tools.ts PLANWRIGHT_WORKSPACE=examples/getaway npx planwright worker
 */
import { readFile } from 'node:fs/promises';
import { z } from 'zod';
import { defineTool, ToolError, type Tool } from '../../src/index.js';
import { resolveInWorkspace } from '../../src/tools/workspace.js';

/** Reads one of the data files from the workspace. */
async function data<T>(workspace: string, file: string): Promise<T> {
  return JSON.parse(await readFile(await resolveInWorkspace(workspace, file), 'utf8')) as T;
}

const City = z.string().min(1).max(100);
const Day = z.string().regex(/^\d{4}-\d{2}-\d{2}$/, 'expected a date as YYYY-MM-DD');

interface Destination {
  city: string;
  country: string;
  trainHours: number;
  flightHours: number;
  why: string;
}

const DestinationSchema = z.object({
  city: z.string(),
  country: z.string(),
  trainHours: z.number(),
  flightHours: z.number(),
  why: z.string(),
});

/** Cities within a few hours of the traveller's home, the quickest first. */
export const findDestinations = defineTool({
  name: 'find_destinations',
  description:
    'Lists weekend destinations reachable from a city within maxTravelHours by train or plane, quickest by train first.',
  input: z.object({
    from: City,
    maxTravelHours: z.number().positive().max(24),
    limit: z.number().int().min(1).max(10).default(3),
  }),
  output: z.object({ from: z.string(), options: z.array(DestinationSchema) }),
  async run({ from, maxTravelHours, limit }, ctx) {
    const known = await data<{ from: string; destinations: Destination[] }>(ctx.workspace, 'destinations.json');
    if (known.from.toLowerCase() !== from.toLowerCase()) {
      throw new ToolError(`no destinations are known from ${from}; this example knows trips from ${known.from}`, false);
    }
    const options = known.destinations
      .filter((d) => Math.min(d.trainHours, d.flightHours) <= maxTravelHours)
      .sort((a, b) => a.trainHours - b.trainHours)
      .slice(0, limit);
    return { from: known.from, options };
  },
});

interface Connection {
  from: string;
  to: string;
  date: string;
  departs: string;
  arrives: string;
  hours: number;
  pricePerPerson: number;
}

const TripInput = z.object({ from: City, to: City, date: Day, travellers: z.number().int().min(1).max(9) });
const TripOutput = z.object({
  mode: z.enum(['flight', 'train']),
  from: z.string(),
  to: z.string(),
  date: z.string(),
  departs: z.string(),
  arrives: z.string(),
  hours: z.number(),
  pricePerPerson: z.number(),
  total: z.number().describe('price for all travellers, one way'),
});

/** The cheapest connection of a timetable for a trip, or a permanent failure when there is none. */
function cheapest(
  mode: 'flight' | 'train',
  timetable: Connection[],
  trip: z.output<typeof TripInput>,
): z.input<typeof TripOutput> {
  const same = (a: string, b: string) => a.toLowerCase() === b.toLowerCase();
  const found = timetable
    .filter((c) => same(c.from, trip.from) && same(c.to, trip.to) && c.date === trip.date)
    .sort((a, b) => a.pricePerPerson - b.pricePerPerson)[0];
  if (!found) throw new ToolError(`no ${mode} from ${trip.from} to ${trip.to} on ${trip.date}`, false);
  const total = Math.round(found.pricePerPerson * trip.travellers * 100) / 100;
  return { mode, ...found, total };
}

/** Flights, from the flight search API: when the API is down, a retryable failure. */
export const searchFlights = defineTool({
  name: 'search_flights',
  description: 'Finds the cheapest flight between two cities on a date, for a number of travellers (one way).',
  input: TripInput,
  output: TripOutput,
  // The API fails fast when it is down: three attempts, half a second apart at first, then recovery takes over.
  callOptions: { timeout: '20s', retry: { maximumAttempts: 3, initialInterval: '500ms', backoffCoefficient: 2 } },
  async run(trip, ctx) {
    const api = await data<{ status: string; error?: string }>(ctx.workspace, 'flight-api.json');
    if (api.status !== 'up') {
      throw new ToolError(`the flight search API is unavailable: ${api.error ?? api.status}`, true);
    }
    return cheapest('flight', await data<Connection[]>(ctx.workspace, 'flights.json'), trip);
  },
});

/** Trains, from the rail timetable. */
export const searchTrains = defineTool({
  name: 'search_trains',
  description: 'Finds the cheapest train between two cities on a date, for a number of travellers (one way).',
  input: TripInput,
  output: TripOutput,
  async run(trip, ctx) {
    return cheapest('train', await data<Connection[]>(ctx.workspace, 'trains.json'), trip);
  },
});

interface Hotel {
  name: string;
  pricePerNight: number;
  roomsFree: Record<string, number>;
}

/** The nights of a stay, as dates. */
function nightsOf(checkIn: string, nights: number): string[] {
  const first = Date.parse(`${checkIn}T00:00:00Z`);
  return Array.from({ length: nights }, (_, i) => new Date(first + i * 86_400_000).toISOString().slice(0, 10));
}

/** Hotel rooms: the cheapest hotel with a room free every night, or a permanent failure when all are full. */
export const checkHotels = defineTool({
  name: 'check_hotels',
  description:
    'Finds the cheapest hotel in a city with a room free for every night of a stay; fails when all are full.',
  input: z.object({
    city: City,
    checkIn: Day,
    nights: z.number().int().min(1).max(14),
    guests: z.number().int().min(1).max(4),
  }),
  output: z.object({
    city: z.string(),
    hotel: z.string(),
    checkIn: z.string(),
    nights: z.number(),
    pricePerNight: z.number(),
    total: z.number().describe('price of the whole stay'),
  }),
  async run({ city, checkIn, nights }, ctx) {
    const hotels = await data<Record<string, Hotel[]>>(ctx.workspace, 'hotels.json');
    const known = Object.keys(hotels).find((name) => name.toLowerCase() === city.toLowerCase());
    if (!known)
      throw new ToolError(`no hotels are listed in ${city}; listed cities: ${Object.keys(hotels).join(', ')}`, false);
    const dates = nightsOf(checkIn, nights);
    const free = (hotels[known] ?? [])
      .filter((h) => dates.every((d) => (h.roomsFree[d] ?? 0) > 0))
      .sort((a, b) => a.pricePerNight - b.pricePerNight)[0];
    if (!free) {
      const checked = hotels[known]?.length ?? 0;
      throw new ToolError(
        `every hotel in ${known} is full for ${nights} nights from ${checkIn} (${checked} checked)`,
        false,
      );
    }
    return {
      city: known,
      hotel: free.name,
      checkIn,
      nights,
      pricePerNight: free.pricePerNight,
      total: free.pricePerNight * nights,
    };
  },
});

/** The getaway agent's tools. */
const tools: Tool[] = [findDestinations, searchFlights, searchTrains, checkHotels];
export default tools;
