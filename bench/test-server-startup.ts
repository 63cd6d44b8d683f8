/**
 * Starts the time-skipping test server through the SDK (which allows it 5 s to answer) N times in a row
 * and reports start-up times: `npm run bench -- test-server [N]`.
 */
import { TestWorkflowEnvironment } from '@temporalio/testing';
import { startTestServer } from '../src/provision/temporal.js';

export async function benchTestServerStartup(runs = 20): Promise<{ median: number; worst: number; times: number[] }> {
  const times: number[] = [];
  for (let i = 0; i < runs; i++) {
    const started = performance.now();
    const env = await startTestServer((executable) =>
      TestWorkflowEnvironment.createTimeSkipping({ server: { executable } }),
    );
    times.push(Math.round(performance.now() - started));
    await env.teardown();
  }
  const sorted = [...times].sort((a, b) => a - b);
  return { median: sorted[Math.floor(sorted.length / 2)] as number, worst: sorted.at(-1) as number, times };
}
