/**
 * Benchmarks: `npm run bench` runs them all; `npm run bench -- <name>` runs one.
 */
import { benchTestServerStartup } from './test-server-startup.js';

const benches: Record<string, (arg?: string) => Promise<unknown>> = {
  'test-server': (n) => benchTestServerStartup(n ? Number(n) : 20),
};

const [only, arg] = process.argv.slice(2);
for (const [name, bench] of Object.entries(benches)) {
  if (only && only !== name) continue;
  const result = await bench(arg);
  console.log(`${name}: ${JSON.stringify(result)}`);
}
