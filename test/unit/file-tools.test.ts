import { mkdir, mkdtemp, readFile, symlink, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { beforeEach, describe, expect, it } from 'vitest';
import type { Tool, ToolContext } from '../../src/tools/define.js';
import { listFilesTool, readFileTool, writeFileTool } from '../../src/tools/files.js';

let root: string;
let ctx: ToolContext;
const call = (tool: Tool, input: unknown) => Promise.resolve(tool.run(tool.input.parse(input), ctx));

beforeEach(async () => {
  root = await mkdtemp(path.join(tmpdir(), 'pw-files-'));
  const workspace = path.join(root, 'ws');
  await mkdir(path.join(workspace, 'notes'), { recursive: true });
  await writeFile(path.join(workspace, 'notes', 'a.txt'), 'alpha');
  await writeFile(path.join(root, 'secret.txt'), 'secret');
  await mkdir(path.join(root, 'outside'));
  await symlink(path.join(root, 'secret.txt'), path.join(workspace, 'leak.txt'));
  await symlink(path.join(root, 'outside'), path.join(workspace, 'out'));
  ctx = { workspace } as ToolContext;
});

describe('read_file', () => {
  it('reads a file in the workspace', async () => {
    await expect(call(readFileTool, { path: 'notes/a.txt' })).resolves.toEqual({
      path: 'notes/a.txt',
      content: 'alpha',
      bytes: 5,
    });
  });

  it.each([
    ['../secret.txt', 'leads outside the workspace'],
    ['notes/../../secret.txt', 'leads outside the workspace'],
    ['/etc/passwd', 'is an absolute path'],
    ['leak.txt', 'is a link that leads outside the workspace'],
    ['out/anything.txt', 'does not exist in the workspace'],
    ['notes', 'is not a file'],
  ])('refuses %s', async (p, message) => {
    await expect(call(readFileTool, { path: p })).rejects.toThrow(message);
  });
});

describe('write_file', () => {
  it('creates files and folders, and refuses to clobber unless told', async () => {
    await call(writeFileTool, { path: 'out-dir/report.md', content: '# Report' });
    expect(await readFile(path.join(ctx.workspace, 'out-dir/report.md'), 'utf8')).toBe('# Report');
    await expect(call(writeFileTool, { path: 'out-dir/report.md', content: 'x' })).rejects.toThrow('already exists');
    await call(writeFileTool, { path: 'out-dir/report.md', content: '\nmore', mode: 'append' });
    expect(await readFile(path.join(ctx.workspace, 'out-dir/report.md'), 'utf8')).toBe('# Report\nmore');
  });

  it.each([
    ['../escape.txt', 'leads outside the workspace'],
    ['/tmp/escape.txt', 'is an absolute path'],
    ['leak.txt', 'is a link; write_file does not write through links'],
    ['out/escape.txt', 'is inside a link that leads outside the workspace'],
    ['notes', 'is a directory'],
  ])('refuses %s', async (p, message) => {
    await expect(call(writeFileTool, { path: p, content: 'x', mode: 'overwrite' })).rejects.toThrow(message);
  });
});

describe('list_files', () => {
  it('lists entries, recursively when asked, without following links', async () => {
    const top = (await call(listFilesTool, {})) as { entries: Array<{ path: string; type: string }> };
    expect(top.entries.map((e) => [e.path, e.type])).toEqual([
      ['leak.txt', 'link'],
      ['notes', 'directory'],
      ['out', 'link'],
    ]);
    const all = (await call(listFilesTool, { recursive: true })) as { entries: Array<{ path: string }> };
    expect(all.entries.map((e) => e.path)).toContain(path.join('notes', 'a.txt'));
    await expect(call(listFilesTool, { path: 'out' })).rejects.toThrow('is a link that leads outside the workspace');
  });
});
