/**
 * The workspace (the folder the file tools and SQL read) defaults to the current folder only when no `.env` file is
 * in it or below it: a worker started in a project folder would otherwise let a plan read its secrets. Setting
 * PLANWRIGHT_WORKSPACE (or giving `workspace`) says which folder the tools may read, and is taken as it is.
 */
import { mkdir, mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import type { NativeConnection } from '@temporalio/worker';
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { worker } from '../../src/cli/commands/server.js';
import type { CommandContext } from '../../src/cli/command.js';
import { reportError } from '../../src/cli/errors.js';
import { MAX_SEARCHED_FOLDERS, UnsafeWorkspaceError, workspaceFromEnv } from '../../src/default-workspace.js';
import type { Model } from '../../src/llm/model.js';
import type { OutputStore } from '../../src/outputs/store.js';
import { createPlanwrightWorker } from '../../src/worker.js';
import { terminal } from '../support/cli.js';

let project: string;
beforeEach(async () => {
  project = await mkdtemp(path.join(tmpdir(), 'pw-workspace-'));
});
afterEach(async () => {
  vi.restoreAllMocks();
  vi.unstubAllEnvs();
  await rm(project, { recursive: true, force: true });
});

/** Writes each file (a path relative to the project) with a line of text. */
async function files(...names: string[]): Promise<void> {
  for (const name of names) {
    await mkdir(path.dirname(path.join(project, name)), { recursive: true });
    await writeFile(path.join(project, name), 'KEY=value\n');
  }
}

const refusal = (found: string[]) =>
  expect.objectContaining({ name: 'UnsafeWorkspaceError', folder: project, found }) as unknown;

describe('workspaceFromEnv', () => {
  it('is the current folder when it holds no .env file', async () => {
    await files('data/tickets.csv', '.env.example', '.env.sample', '.env.template', 'node_modules/pkg/.env');
    await mkdir(path.join(project, '.git'));
    await writeFile(path.join(project, '.git', '.env'), '');
    expect(await workspaceFromEnv({}, project)).toBe(project);
  });

  it('refuses a current folder that holds .env files, naming them and saying what to set', async () => {
    await files('.env', 'apps/api/.env.local', 'apps/web/.env.production', 'deploy/.envrc', 'README.md');
    await expect(workspaceFromEnv({}, project)).rejects.toThrow(
      refusal(['.env', 'apps/api/.env.local', 'apps/web/.env.production', 'deploy/.envrc']),
    );
    await expect(workspaceFromEnv({ PLANWRIGHT_WORKSPACE: '' }, project)).rejects.toThrow(
      `the workspace (the folder the file tools and SQL read) would default to the current folder ${project}, ` +
        'which holds .env, apps/api/.env.local, apps/web/.env.production and 1 more (files that usually hold ' +
        'secrets); set PLANWRIGHT_WORKSPACE to the folder the tools may read (PLANWRIGHT_WORKSPACE=. to let them ' +
        'read this one)',
    );
  });

  it('refuses a current folder with more folders than it searches (a home folder, say)', async () => {
    for (let i = 0; i <= MAX_SEARCHED_FOLDERS; i++) await mkdir(path.join(project, `f${i}`));
    await expect(workspaceFromEnv({}, project)).rejects.toThrow(/which has too many folders \(over 2000\) to check/);
  });

  it('takes PLANWRIGHT_WORKSPACE as it is, relative to the current folder', async () => {
    await files('.env');
    expect(await workspaceFromEnv({ PLANWRIGHT_WORKSPACE: '.' }, project)).toBe(project);
    expect(await workspaceFromEnv({ PLANWRIGHT_WORKSPACE: 'data' }, project)).toBe(path.join(project, 'data'));
  });
});

describe('a worker started in a folder that holds a .env file', () => {
  it('is refused when given no workspace', async () => {
    await files('.env');
    vi.spyOn(process, 'cwd').mockReturnValue(project);
    vi.stubEnv('PLANWRIGHT_WORKSPACE', '');
    const failing = () => Promise.reject(new Error('not a server'));
    const options = {
      connection: { operatorService: { listSearchAttributes: failing } } as unknown as NativeConnection,
      namespace: 'default',
      taskQueue: 'nowhere',
      model: {} as Model,
      workflowBundle: { code: '' },
      outputStore: { sweep: async () => 0 } as unknown as OutputStore,
    };
    await expect(createPlanwrightWorker(options)).rejects.toBeInstanceOf(UnsafeWorkspaceError);
    // Given a workspace, it does not look: the caller said which folder the tools may read.
    await expect(createPlanwrightWorker({ ...options, workspace: project })).rejects.not.toBeInstanceOf(
      UnsafeWorkspaceError,
    );
  });

  it('is refused by `planwright worker` before it connects: one line, exit code 2', async () => {
    await files('.env');
    vi.spyOn(process, 'cwd').mockReturnValue(project);
    vi.stubEnv('PLANWRIGHT_WORKSPACE', '');
    vi.stubEnv('TEMPORAL_ADDRESS', '127.0.0.1:1');
    const print = () => {};
    const context = { values: {}, positionals: [], json: false, print, out: print, follow: print };
    const failure = await worker(context as unknown as CommandContext).catch((err: unknown) => err);
    const t = terminal();
    expect(reportError(failure)).toBe(2);
    expect(t.stderr()).toMatch(/^planwright: the workspace .* holds \.env \(files that usually hold secrets\); .*\n$/);
  });
});
