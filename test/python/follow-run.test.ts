/**
 * The Python example (examples/python/follow_run.py) follows a planwright run with `temporalio`'s own Workflow Streams
 * client: every item in order, the same the TypeScript `followRun` reads, ending with the run's end; and, started
 * after the run ended, the same items again (read with the stream's poll query). `npm run test:python`: it makes a
 * virtual environment and installs `temporalio` from PyPI the first time (PLANWRIGHT_PYTHON_VENV names one to reuse).
 */
import { execFile, spawn } from 'node:child_process';
import { existsSync } from 'node:fs';
import path from 'node:path';
import { promisify } from 'node:util';
import type { TestWorkflowEnvironment } from '@temporalio/testing';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import type { StreamItem } from '../../src/stream/events.js';
import { followRun } from '../../src/stream/follow.js';
import { planReply, runScenario, wireStep } from '../support/e2e.js';
import { devServerEnv } from '../support/temporal.js';

const run = promisify(execFile);
const SCRIPT = path.resolve('examples/python/follow_run.py');
const VENV = process.env.PLANWRIGHT_PYTHON_VENV ?? path.resolve('node_modules/.cache/planwright-python');
const PYTHON = path.join(VENV, 'bin', 'python');

let env: TestWorkflowEnvironment;
beforeAll(async () => {
  if (!existsSync(PYTHON)) await run(process.env.PLANWRIGHT_PYTHON ?? 'python3', ['-m', 'venv', VENV]);
  await run(PYTHON, ['-m', 'pip', 'install', '-q', '-r', path.resolve('examples/python/requirements.txt')]);
  env = await devServerEnv();
});
afterAll(async () => {
  await env?.teardown();
});

/** What the script prints with --json, one item a line. */
interface PrintedItem {
  offset: number;
  topic: string;
  data: { kind?: string; text?: string };
}

/** Runs the script on a run until it exits; its items. */
function followInPython(workflowId: string): Promise<PrintedItem[]> {
  return new Promise((resolve, reject) => {
    const child = spawn(PYTHON, [SCRIPT, workflowId, '--json'], {
      env: { ...process.env, TEMPORAL_ADDRESS: inject('devServerAddress'), TEMPORAL_NAMESPACE: 'default' },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let out = '';
    let err = '';
    child.stdout.on('data', (d: Buffer) => (out += d.toString()));
    child.stderr.on('data', (d: Buffer) => (err += d.toString()));
    child.on('error', reject);
    child.on('exit', (code) => {
      if (code !== 0) reject(new Error(`follow_run.py exited ${code}: ${err}`));
      else
        resolve(
          out
            .split('\n')
            .filter(Boolean)
            .map((l) => JSON.parse(l) as PrintedItem),
        );
    });
  });
}

describe('examples/python/follow_run.py', () => {
  it("prints a run's items in order, ending with its end, live and after the end", async () => {
    let live: PrintedItem[] = [];
    let after: PrintedItem[] = [];
    let fromTs: StreamItem[] = [];
    const answer = 'Three waits, all done. '.repeat(3);
    await runScenario(env, 'python-follow', {
      script: {
        plan: [
          planReply(
            ...['a', 'b', 'c'].map((id, i, ids) =>
              wireStep(id, 'wait', { label: id, ms: 200 }, { dependsOn: i ? [ids[i - 1]!] : [] }),
            ),
          ),
        ],
        synthesize: [{ content: answer, chunkChars: 4, chunkDelayMs: 30 }],
      },
      input: { goal: 'Wait three times' },
      record: false,
      during: async (h) => {
        const ts = (async () => {
          const items: StreamItem[] = [];
          for await (const item of followRun(env.client, h.workflowId)) items.push(item);
          return items;
        })();
        [live, fromTs] = await Promise.all([followInPython(h.workflowId), ts]);
        after = await followInPython(h.workflowId);
      },
    });
    expect(live.map((i) => i.offset)).toEqual(live.map((_, i) => i));
    expect(live.map((i) => [i.offset, i.topic])).toEqual(fromTs.map((i) => [i.offset, i.topic]));
    const kinds = live.flatMap((i) => (i.topic === 'events' ? [i.data.kind] : []));
    expect(kinds[0]).toBe('run-started');
    expect(kinds.filter((k) => k === 'step-succeeded')).toHaveLength(3);
    expect(kinds.at(-1)).toBe('run-finished');
    expect(
      live
        .filter((i) => i.topic === 'answer')
        .map((i) => i.data.text)
        .join(''),
    ).toBe(answer);
    expect(after).toEqual(live);
  });
});
