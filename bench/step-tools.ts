/**
 * Tools for the durability benchmarks (`bench/durability.ts`), loaded by worker processes through
 * `PLANWRIGHT_TOOLS`. Each call appends `start <label> <epoch ms> <pid>` to the file `PLANWRIGHT_BENCH_LOG`
 * names when it starts, so the benchmark can tell, against the workflow history, whether a finished step
 * ever ran again.
 */
import { appendFileSync } from 'node:fs';
import { z } from 'zod';
import { jsonSchema } from '../src/contract/plan.js';
import { defineTool, ToolError } from '../src/tools/define.js';

/** Records that a call started: one line, appended (O_APPEND keeps lines of several processes whole). */
function logStart(label: string): void {
  const file = process.env.PLANWRIGHT_BENCH_LOG;
  if (file) appendFileSync(file, `start ${label} ${Date.now()} ${process.pid}\n`);
}

/** Waits `ms` (heartbeating, stopping when cancelled) and returns `bytes` of filler, to make outputs large. */
export const work = defineTool({
  name: 'work',
  description: 'Works for the given milliseconds and returns the label, the process id and optional filler.',
  input: z.object({
    label: z.string(),
    ms: z.number().int().min(0).max(600_000),
    bytes: z.number().int().min(0).max(10_000_000).optional(),
  }),
  async run({ label, ms, bytes }, ctx) {
    logStart(label);
    const started = Date.now();
    while (Date.now() - started < ms) {
      ctx.heartbeat({ label });
      if (ctx.signal.aborted) throw new ToolError(`cancelled while working (${label})`, false);
      await new Promise((resolve) => setTimeout(resolve, Math.min(100, ms - (Date.now() - started))));
    }
    return { label, pid: process.pid, filler: 'x'.repeat(bytes ?? 0) };
  },
});

/** A small digest of its inputs (earlier outputs, referenced), so a step can depend on large outputs. */
export const combine = defineTool({
  name: 'combine',
  description: 'Returns the total JSON length of its inputs (typically earlier steps’ outputs).',
  input: z.object({ label: z.string().optional(), inputs: jsonSchema() }),
  run({ label, inputs }) {
    if (label) logStart(label);
    return { label: label ?? null, pid: process.pid, length: JSON.stringify(inputs).length };
  },
});
