/**
 * Tools of a real, published MCP server (`@modelcontextprotocol/server-filesystem`, over stdio, run with
 * node from node_modules) in runs on the dev server: the planner sees them with their own schemas, tool
 * steps and the executor call them, and killing the server mid-call is retried (it is started again) or,
 * when it cannot come back, reported as the step's failure.
 */
import { execFileSync } from 'node:child_process';
import { mkdtemp, mkdir, realpath, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import type { WorkflowHandle } from '@temporalio/client';
import type { TestWorkflowEnvironment } from '@temporalio/testing';
import { Runtime } from '@temporalio/worker';
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import type { RunState } from '../../src/contract/run-state.js';
import { closeToolSources } from '../../src/tools/sources.js';
import type { Tool } from '../../src/tools/define.js';
import { loadTools } from '../../src/worker.js';
import type { planAndExecute } from '../../workflows/index.js';
import { stateQuery } from '../../workflows/messages.js';
import { planReply, runScenario, waitTool, wireStep } from '../support/e2e.js';
import { devServerEnv } from '../support/temporal.js';

const SERVER = fileURLToPath(
  new URL('../../node_modules/@modelcontextprotocol/server-filesystem/dist/index.js', import.meta.url),
);

let env: TestWorkflowEnvironment;
let dir: string;
let files: string;
const loaded: Tool[][] = [];

beforeAll(async () => {
  env = await devServerEnv();
  dir = await realpath(await mkdtemp(path.join(tmpdir(), 'pw-mcp-')));
  files = path.join(dir, 'files');
  await mkdir(files);
  await writeFile(path.join(files, 'notes.txt'), 'Ship the report on Friday.\nCall Dana about the invoice.\n');
  await writeFile(path.join(files, 'todo.txt'), 'renew the certificate\n');
});
afterAll(async () => {
  await Promise.all(loaded.map((tools) => closeToolSources(tools)));
  await env?.teardown();
  await rm(dir, { recursive: true, force: true });
});

/** Loads the worker's tools with a configuration naming the filesystem server as `fs`, run as `command args`. */
async function fsTools(name: string, args: string[]): Promise<Tool[]> {
  const config = path.join(dir, `${name}.json`);
  const server = { command: process.execPath, args: [...args, files] };
  await writeFile(config, JSON.stringify({ mcpServers: { fs: server } }));
  const tools = [...(await loadTools({ PLANWRIGHT_MCP_CONFIG: config })), waitTool];
  loaded.push(tools);
  return tools;
}

/** Pids of this process's children running a command line that contains `marker`. */
function childPids(marker: string): number[] {
  const out = execFileSync('ps', ['-o', 'pid=,args=', '--ppid', String(process.pid)], { encoding: 'utf8' });
  return out
    .split('\n')
    .filter((line) => line.includes(marker))
    .map((line) => Number(line.trim().split(/\s+/)[0]));
}

async function waitForStep(handle: WorkflowHandle<typeof planAndExecute>, id: string, status: string): Promise<void> {
  await expect
    .poll(
      async () => (await handle.query(stateQuery)).steps.find((s: RunState['steps'][number]) => s.id === id)?.status,
      {
        timeout: 20_000,
        interval: 100,
      },
    )
    .toBe(status);
}

describe('tools of the MCP filesystem server', () => {
  it('reach the planner with their schemas, and tool steps and the executor call them', async () => {
    const tools = await fsTools('plain', [SERVER]);
    const notes = path.join(files, 'notes.txt');
    const { result, model, counts } = await runScenario(env, 'mcp-filesystem', {
      tools,
      record: false,
      script: {
        plan: [
          planReply(
            wireStep('list', 'fs__list_directory', { path: files }),
            wireStep('read', 'fs__read_text_file', { path: notes, head: 1 }, { dependsOn: ['list'] }),
            wireStep('size', null, null, {
              dependsOn: ['read'],
              title: 'How big is the todo list',
              tools: ['fs__get_file_info'],
            }),
          ),
        ],
        execute: [
          { toolCalls: [{ name: 'fs__get_file_info', arguments: { path: path.join(files, 'todo.txt') } }] },
          (request) => {
            const info = request.messages.at(-1)?.content as string;
            return { content: `todo.txt: ${/size: (\d+)/.exec(info)?.[1]} bytes` };
          },
        ],
        synthesize: [{ content: 'Two files; the first note says to ship the report on Friday.' }],
      },
      input: { goal: 'What is in my files?' },
    });
    expect(result.status).toBe('completed');
    const output = (id: string) => result.steps.find((s) => s.id === id)?.output;
    expect(output('list')).toEqual({ content: '[FILE] notes.txt\n[FILE] todo.txt' });
    expect(output('read')).toEqual({ content: 'Ship the report on Friday.' });
    expect(output('size')).toBe('todo.txt: 22 bytes');
    expect(counts.byTool).toEqual({ fs__list_directory: 1, fs__read_text_file: 1, fs__get_file_info: 1 });

    // The planner's response format holds the server's own input schema; the executor is offered the tools.
    const format = JSON.stringify(model.requests.find((r) => r.phase === 'plan')?.body.response_format);
    expect(format).toContain('"enum":["fs__read_text_file"]');
    expect(format).toContain('If provided, returns only the first N lines of the file');
    const offered = (model.requests.find((r) => r.phase === 'execute')?.body.tools ?? []) as Array<{
      function: { name: string; parameters: Record<string, unknown> };
    }>;
    const info = offered.find((t) => t.function.name === 'fs__get_file_info');
    expect(info?.function.parameters).toMatchObject({ type: 'object', required: ['path'] });
    // The worker stopped at the end of the run, and stopped the server with it.
    await expect.poll(() => childPids(SERVER), { timeout: 5000 }).toEqual([]);
  });

  it('retries a call cut off by the server’s death: the next attempt starts the server again', async () => {
    const tools = await fsTools('killed', [SERVER]);
    const notes = path.join(files, 'notes.txt');
    let killed: number | undefined;
    const { result } = await runScenario(env, 'mcp-server-killed', {
      tools,
      record: false,
      script: {
        plan: [
          planReply(
            wireStep('before', 'fs__read_text_file', { path: notes, head: 1 }),
            wireStep('pause', 'wait', { label: 'pause', ms: 1500 }, { dependsOn: ['before'] }),
            wireStep('after', 'fs__read_text_file', { path: notes }, { dependsOn: ['pause'] }),
          ),
        ],
        synthesize: [{ content: 'Both notes read.' }],
      },
      input: { goal: 'Read my notes twice' },
      during: async (handle) => {
        await waitForStep(handle, 'pause', 'running');
        const [pid] = childPids(SERVER);
        expect(pid).toBeGreaterThan(0);
        // Stopped, the server takes the next call and never answers it; killed, it cuts that call off.
        process.kill(pid as number, 'SIGSTOP');
        await waitForStep(handle, 'after', 'running');
        await new Promise((resolve) => setTimeout(resolve, 500));
        process.kill(pid as number, 'SIGKILL');
        killed = pid;
      },
    });
    expect(result.status).toBe('completed');
    const after = result.steps.find((s) => s.id === 'after');
    expect(after?.output).toEqual({ content: 'Ship the report on Friday.\nCall Dana about the invoice.\n' });
    expect(after?.attempts).toBe(2);
    expect(childPids(SERVER)).not.toContain(killed);
  });

  it('reports the step as failed when the server cannot be started again, and the run ends', async () => {
    // A launcher that runs the server; removed once the tools are listed, so the server cannot come back.
    const launcher = path.join(dir, 'launch-fs.mjs');
    await writeFile(launcher, `await import(${JSON.stringify(SERVER)});\n`);
    const tools = await fsTools('gone', [launcher]);
    const notes = path.join(files, 'notes.txt');
    const warnings = vi.spyOn(Runtime.instance().logger, 'warn');
    const { result, model, handle } = await runScenario(env, 'mcp-server-gone', {
      tools,
      record: false,
      script: {
        plan: [
          planReply(
            wireStep('pause', 'wait', { label: 'pause-gone', ms: 1000 }),
            wireStep('read', 'fs__read_text_file', { path: notes }, { dependsOn: ['pause'], critical: false }),
          ),
        ],
        synthesize: [{ content: 'The notes could not be read.' }],
      },
      input: { goal: 'Read my notes' },
      during: async (handle) => {
        await waitForStep(handle, 'pause', 'running');
        await rm(launcher);
        for (const pid of childPids(launcher)) process.kill(pid, 'SIGKILL');
      },
    });
    // A non-critical step that failed for good is skipped; the run goes on, says why in the step, and ends partial.
    expect(result.status).toBe('partial');
    const read = result.steps.find((s) => s.id === 'read');
    expect(read?.status).toBe('skipped');
    expect(read?.attempts).toBe(3);
    // The server's stderr (which may hold secrets) is in the worker's log, and nowhere in the run.
    expect(read?.error).toMatch(
      /cannot connect to MCP server "fs": the server exited \(code 1\); its stderr is in the worker's log/,
    );
    const logged = warnings.mock.calls.map(([message]) => message);
    expect(logged).toContainEqual(
      expect.stringMatching(/^cannot connect to MCP server "fs": .*\n.*Cannot find module/s),
    );
    const history = JSON.stringify(await handle.fetchHistory());
    for (const seen of [JSON.stringify(result), JSON.stringify(model.requests), history]) {
      expect(seen).not.toContain('Cannot find module');
    }
    warnings.mockRestore();
  });
});
