/**
 * Tools for `npm run bench -- e2e`: one that returns at once and one that takes a set time.
 */
import { setTimeout as sleep } from 'node:timers/promises';
import { z } from 'zod';
import { defineTool } from '../src/tools/define.js';

/** Returns its label at once: a zero-latency tool, so what is measured is the engine. */
export const noop = defineTool({
  name: 'noop',
  description: 'Returns its label at once.',
  input: z.object({ label: z.string() }),
  run: ({ label }) => ({ label }),
});

/** Takes `ms` milliseconds, then returns its label: for makespans against a known critical path. */
export const pause = defineTool({
  name: 'pause',
  description: 'Waits the given milliseconds, then returns its label.',
  input: z.object({ label: z.string(), ms: z.number().int().min(0).max(60_000) }),
  async run({ label, ms }, ctx) {
    await sleep(ms, undefined, { signal: ctx.signal });
    return { label };
  },
});

export const benchTools = [noop, pause];
