/**
 * write_file and read_file when the workspace changes under them: a folder or file swapped for a link between the
 * check of a path and the write (or read) must not lead them outside the workspace. The swap happens inside the
 * tool's own file system calls, which this file wraps.
 */
import type * as fs from 'node:fs/promises';
import { mkdir, mkdtemp, readdir, readFile, rename, rm, symlink, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { ToolError, type Tool, type ToolContext } from '../../src/tools/define.js';
import { readFileTool, writeFileTool } from '../../src/tools/files.js';
import { rejectionOf } from '../support/rejection.js';

/** Something to do once, just before the tools' first call of one of the named file system functions. */
let pending: { before: readonly string[]; run: () => Promise<void> } | undefined;

vi.mock('node:fs/promises', async (importOriginal) => {
  const real = await importOriginal<typeof fs>();
  const names = ['mkdir', 'open', 'stat', 'readFile', 'writeFile', 'appendFile'] as const;
  const wrapped = Object.fromEntries(
    names.map((name) => [
      name,
      async (...args: unknown[]) => {
        const due = pending?.before.includes(name) ? pending : undefined;
        if (due) pending = undefined;
        await due?.run();
        return (real[name] as (...a: unknown[]) => unknown)(...args);
      },
    ]),
  );
  return { ...real, ...wrapped };
});

let root: string;
let workspace: string;
let outside: string;
const call = (tool: Tool, input: unknown) =>
  Promise.resolve(tool.run(tool.input.parse(input), { workspace } as ToolContext));

beforeEach(async () => {
  root = await mkdtemp(path.join(tmpdir(), 'pw-races-'));
  workspace = path.join(root, 'ws');
  outside = path.join(root, 'outside');
  await mkdir(path.join(workspace, 'reports'), { recursive: true });
  await mkdir(outside);
  await writeFile(path.join(outside, 'secret.txt'), 'secret');
  await writeFile(path.join(workspace, 'reports', 'week.md'), 'week');
});
afterEach(async () => {
  pending = undefined;
  await rm(root, { recursive: true, force: true });
});

/** Replaces the workspace folder `reports` with a link to the folder outside. */
const swapFolder = async () => {
  await rename(path.join(workspace, 'reports'), path.join(workspace, 'reports-moved'));
  await symlink(outside, path.join(workspace, 'reports'));
};

describe('write_file while the workspace changes', () => {
  it.each([
    ['its folders are made', ['mkdir'], 'is inside a link that leads outside the workspace'],
    [
      'the file is opened',
      ['open', 'writeFile', 'appendFile'],
      'leads outside the workspace: a folder on its way was replaced by a link',
    ],
  ])(
    'refuses to write once a folder of the path became a link leading out (swapped before %s)',
    async (_when, before, message) => {
      pending = { before, run: swapFolder };
      const err = await rejectionOf(
        call(writeFileTool, { path: 'reports/new.md', content: 'x', mode: 'overwrite' }),
        ToolError,
      );
      expect(err.message).toBe(`"reports/new.md" ${message}`);
      expect(err.retryable).toBe(false);
      expect(await readdir(outside)).toEqual(['secret.txt']);
    },
  );

  it('refuses to write through the file once it became a link leading out', async () => {
    const swapFile = async () => {
      await rm(path.join(workspace, 'reports', 'week.md'));
      await symlink(path.join(outside, 'secret.txt'), path.join(workspace, 'reports', 'week.md'));
    };
    pending = { before: ['mkdir'], run: swapFile };
    const err = await rejectionOf(
      call(writeFileTool, { path: 'reports/week.md', content: 'overwritten', mode: 'overwrite' }),
      ToolError,
    );
    expect(err.message).toBe('"reports/week.md" is a link; write_file does not write through links');
    expect(err.retryable).toBe(false);
    expect(await readFile(path.join(outside, 'secret.txt'), 'utf8')).toBe('secret');
  });
});

describe('read_file while the workspace changes', () => {
  it('refuses to read once a folder of the path became a link leading out after the check', async () => {
    await writeFile(path.join(outside, 'week.md'), 'outside');
    pending = { before: ['open', 'stat', 'readFile'], run: swapFolder };
    const err = await rejectionOf(call(readFileTool, { path: 'reports/week.md' }), ToolError);
    expect(err.message).toBe(
      '"reports/week.md" leads outside the workspace: a folder on its way was replaced by a link',
    );
    expect(err.retryable).toBe(false);
  });
});
