/**
 * `planwright demo --keep` keeps a worker with the server, so the Web UI can still query the run. The demo brings
 * its own workspace, so it runs from a project folder that holds a `.env` file (a worker would refuse to read it).
 */
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { Client, Connection } from '@temporalio/client';
import { afterEach, describe, expect, it, vi } from 'vitest';
import { runDemo } from '../../src/cli/demo.js';
import { stateQuery } from '../../workflows/messages.js';

afterEach(() => {
  vi.unstubAllEnvs();
  vi.restoreAllMocks();
});

describe('planwright demo --keep', () => {
  it('keeps a worker polling after the run, so queries are answered until Ctrl-C', async () => {
    vi.stubEnv('OPENAI_API_KEY', '');
    vi.stubEnv('OPENAI_BASE_URL', '');
    vi.stubEnv('PLANWRIGHT_WORKSPACE', '');
    const project = await mkdtemp(path.join(tmpdir(), 'planwright-project-'));
    await writeFile(path.join(project, '.env'), 'OPENAI_API_KEY=sk-secret\n');
    vi.spyOn(process, 'cwd').mockReturnValue(project);
    const lines: string[] = [];
    let stop!: () => void;
    const demo = runDemo({
      keep: true,
      keepUntil: new Promise<void>((resolve) => (stop = resolve)),
      print: (line) => lines.push(line),
    });
    try {
      const deadline = Date.now() + 90_000;
      while (!lines.some((l) => l.includes('press Ctrl-C'))) {
        if (Date.now() > deadline) throw new Error(`the demo did not finish:\n${lines.join('\n')}`);
        await new Promise((r) => setTimeout(r, 100));
      }
      const address = /Temporal: (\S+)/.exec(lines.join('\n'))?.[1];
      const workflowId = /Run: (\S+)/.exec(lines.join('\n'))?.[1];
      const connection = await Connection.connect({ address: address! });
      try {
        const client = new Client({ connection });
        const state = await client.withDeadline(Date.now() + 10_000, () =>
          client.workflow.getHandle(workflowId!).query(stateQuery),
        );
        expect(state.status).toBe('completed');
      } finally {
        await connection.close();
      }
    } finally {
      stop(); // The demo stops its worker and server whatever happened above.
      await rm(project, { recursive: true, force: true });
    }
    expect((await demo).status).toBe('completed');
    expect(lines.join('\n')).toContain('The worker keeps answering the Web UI');
  }, 120_000);
});
