/**
 * Benchmarks: `npm run bench` runs them all but `load`; `npm run bench -- <name> [arg]` runs one.
 */
import { benchFleet, benchWorkerKill } from './durability.js';
import { benchE2e } from './e2e.js';
import { benchLoad } from './load.js';
import { benchPickups } from './pickups.js';
import { benchRunCost } from './run-cost.js';
import { benchStream } from './stream.js';
import { benchDataEngine } from './data-engine.js';
import { benchDataQuery, benchReferences, benchValidate } from './pure.js';
import { benchTestServerStartup } from './test-server-startup.js';
import { benchTokens } from './tokens.js';
import { benchTraces } from './traces.js';

const benches: Record<string, (arg?: string) => unknown> = {
  'validate-plan': () => benchValidate(),
  references: () => benchReferences(),
  'data-query': () => benchDataQuery(),
  'data-engine': (n) => benchDataEngine(n ? Number(n) : 3),
  'test-server': (n) => benchTestServerStartup(n ? Number(n) : 20),
  'worker-kill': (n) => benchWorkerKill(n ? Number(n) : 20),
  fleet: (n) => benchFleet(n ? Number(n) : 1),
  e2e: (n) => benchE2e(n ? Number(n) : 5),
  load: (n) => benchLoad(n ? Number(n) : 1000),
  pickups: (n) => benchPickups(n ? Number(n) : 3),
  'run-cost': (n) => benchRunCost(n ? Number(n) : 40),
  tokens: () => benchTokens(),
  traces: (n) => benchTraces(n ? Number(n) : 10),
  stream: (n) => benchStream(n ? Number(n) : 5),
};

/** Run only when named: `load` starts thousands of runs on two servers, one of them built with Go the first time. */
const onlyWhenNamed = new Set(['load']);

const [only, arg] = process.argv.slice(2);
for (const [name, bench] of Object.entries(benches)) {
  if (only ? only !== name : onlyWhenNamed.has(name)) continue;
  console.log(`${name}: ${JSON.stringify(await bench(arg))}`);
}
