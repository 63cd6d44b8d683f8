/**
 * The CLI as people run it (a child process): `planwright dev` runs survive a restart of it, `--ephemeral`
 * keeps nothing, and it says where the runs live and which search attributes its worker found; Ctrl-C stops
 * `watch` and `start --wait` at once.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { Client, Connection, WorkflowNotFoundError } from '@temporalio/client';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import { freePort } from '../../src/free-port.js';
import { cachedPaths } from '../../src/provision/temporal.js';
import { WORKFLOW_TYPE } from '../../workflows/messages.js';

let cache: string;
/** Every process a test started, so that none outlives a failed test. */
const children = new Set<ChildProcess>();
beforeAll(async () => {
  cache = await mkdtemp(path.join(tmpdir(), 'planwright-dev-'));
});
afterAll(async () => {
  for (const child of children) if (child.exitCode === null && child.signalCode === null) child.kill('SIGINT');
  await rm(cache, { recursive: true, force: true });
});

/** Where `planwright dev` runs: its folder and the environment beyond the test's own. */
interface DevPlace {
  cwd?: string;
  env?: NodeJS.ProcessEnv;
}

/** Starts `planwright dev` with `args` from `place`; its output so far, and its exit code once it exits. */
function spawnDev(args: string[], place: DevPlace = {}) {
  const child: ChildProcess = spawn(process.execPath, [path.resolve('bin/planwright.js'), 'dev', ...args], {
    env: {
      ...process.env,
      PLANWRIGHT_CACHE_DIR: cache,
      TEMPORAL_CLI_PATH: process.env.TEMPORAL_CLI_PATH ?? cachedPaths().devServer,
      OPENAI_API_KEY: 'unused',
      ...place.env,
    },
    ...(place.cwd ? { cwd: place.cwd } : {}),
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  children.add(child);
  let stdout = '';
  let stderr = '';
  child.stdout!.on('data', (chunk: Buffer) => (stdout += chunk.toString()));
  child.stderr!.on('data', (chunk: Buffer) => (stderr += chunk.toString()));
  const exited = new Promise<number | null>((resolve) => child.once('exit', (code) => resolve(code)));
  return { child, exited, stdout: () => stdout, stderr: () => stderr };
}

/** Starts `planwright dev` and resolves once its worker polls; `stop` sends Ctrl-C and resolves to the exit code. */
async function dev(
  args: string[],
  place: DevPlace = {},
): Promise<{ output: () => string; stop: () => Promise<number | null> }> {
  const { child, exited, stdout, stderr } = spawnDev(args, place);
  const deadline = Date.now() + 60_000;
  while (!stdout().includes('Worker polling')) {
    if (child.exitCode !== null || Date.now() > deadline) {
      child.kill('SIGKILL');
      throw new Error(`planwright dev did not start:\n${stdout()}\n${stderr()}`);
    }
    await new Promise((r) => setTimeout(r, 100));
  }
  return {
    output: stdout,
    stop: async () => {
      child.kill('SIGINT');
      return exited;
    },
  };
}

async function connect(address: string): Promise<{ client: Client; close: () => Promise<void> }> {
  const connection = await Connection.connect({ address });
  return { client: new Client({ connection }), close: () => connection.close() };
}

describe('planwright dev', () => {
  it('keeps runs in a database in the cache directory, so they survive a restart; --ephemeral keeps none', async () => {
    const port = await freePort();
    const uiPort = await freePort();
    const address = `127.0.0.1:${port}`;
    const args = ['--port', String(port), '--ui-port', String(uiPort)];

    const first = await dev(args);
    expect(first.output()).toContain(`Runs are kept in ${path.join(cache, 'dev-server.db')}`);
    expect(first.output()).toContain('Search attributes PlanwrightStatus, PlanwrightReplans: registered');
    let c = await connect(address);
    const workflowId = `kept-${Date.now()}`;
    await c.client.workflow.start(WORKFLOW_TYPE, { taskQueue: 'nobody', workflowId, args: [{ goal: 'Count' }] });
    await c.close();
    expect(await first.stop()).toBe(0);

    const second = await dev(args);
    c = await connect(address);
    const description = await c.client.workflow.getHandle(workflowId).describe();
    expect(description.status.name).toBe('RUNNING');
    await c.close();
    expect(await second.stop()).toBe(0);

    const ephemeral = await dev([...args, '--ephemeral']);
    expect(ephemeral.output()).toContain('Runs are kept in memory only (--ephemeral)');
    c = await connect(address);
    await expect(c.client.workflow.getHandle(workflowId).describe()).rejects.toBeInstanceOf(WorkflowNotFoundError);
    await c.close();
    expect(await ephemeral.stop()).toBe(0);
  }, 180_000);
});

describe('the workspace of planwright dev', () => {
  it('is not a current folder that holds a .env file, unless PLANWRIGHT_WORKSPACE says so', async () => {
    const project = await mkdtemp(path.join(tmpdir(), 'planwright-project-'));
    try {
      await writeFile(path.join(project, '.env'), 'OPENAI_API_KEY=sk-secret\n');
      const args = ['--port', String(await freePort()), '--ui-port', String(await freePort()), '--ephemeral'];
      const refused = spawnDev(args, { cwd: project, env: { PLANWRIGHT_WORKSPACE: '' } });
      const started = new Promise((resolve) => refused.child.stdout!.on('data', () => resolve('started')));
      expect(await Promise.race([refused.exited, started])).toBe(2);
      expect(refused.stderr()).toBe(
        `planwright: the workspace (the folder the file tools and SQL read) would default to the current folder ${project}, ` +
          'which holds .env (files that usually hold secrets); set PLANWRIGHT_WORKSPACE to the folder the tools may read ' +
          '(PLANWRIGHT_WORKSPACE=. to let them read this one)\n',
      );
      refused.child.kill('SIGINT'); // should it have started after all
      const allowed = await dev(args, { cwd: project, env: { PLANWRIGHT_WORKSPACE: '.' } });
      expect(allowed.output()).toContain(`Workspace: ${project} (the folder the file tools and SQL read;`);
      expect(await allowed.stop()).toBe(0);
    } finally {
      await rm(project, { recursive: true, force: true });
    }
  }, 90_000);
});

describe('Ctrl-C', () => {
  it('stops start --wait and watch at once, and the run goes on', async () => {
    const workflowId = `ctrl-c-${Date.now()}`;
    const env = { ...process.env, TEMPORAL_ADDRESS: inject('devServerAddress'), PLANWRIGHT_TASK_QUEUE: 'nobody' };
    for (const args of [
      ['start', 'Count', '--id', workflowId, '--wait'],
      ['watch', workflowId],
    ]) {
      const child = spawn(process.execPath, ['bin/planwright.js', ...args], { env, stdio: ['ignore', 'pipe', 'pipe'] });
      children.add(child);
      let stdout = '';
      child.stdout.on('data', (chunk: Buffer) => (stdout += chunk.toString()));
      const exited = new Promise<NodeJS.Signals | number | null>((resolve) =>
        child.once('exit', (code, signal) => resolve(signal ?? code)),
      );
      const deadline = Date.now() + 30_000;
      while (!stdout.includes('no worker is polling')) {
        if (Date.now() > deadline) throw new Error(`planwright ${args[0]} printed only:\n${stdout}`);
        await new Promise((r) => setTimeout(r, 100));
      }
      child.kill('SIGINT');
      const stoppedWithin = Date.now();
      expect(await exited).toBe('SIGINT');
      expect(Date.now() - stoppedWithin).toBeLessThan(2_000);
    }
    const c = await connect(inject('devServerAddress'));
    const handle = c.client.workflow.getHandle(workflowId);
    expect((await handle.describe()).status.name).toBe('RUNNING');
    await handle.terminate('test over');
    await c.close();
  }, 90_000);
});
