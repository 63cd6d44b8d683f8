import { mkdir, mkdtemp, readFile, symlink, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { beforeEach, describe, expect, it } from 'vitest';
import { ToolError, type Tool, type ToolContext } from '../../src/tools/define.js';
import { listFilesTool, readFileTool, writeFileTool } from '../../src/tools/files.js';
import { rejectionOf } from '../support/rejection.js';

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

describe('paths no file can have', () => {
  const long = 'x'.repeat(300);
  const NUL = 'holds a NUL character, which no path can';
  const LONG = 'has a name of 300 bytes; names are at most 255';
  it.each([
    ['a NUL in a path to read', readFileTool, 'a\0b', `"a\\u0000b" ${NUL}`],
    ['a NUL in a path to write', writeFileTool, 'a\0b', `"a\\u0000b" ${NUL}`],
    ['a NUL in a folder to list', listFilesTool, 'notes/\0', `"notes/\\u0000" ${NUL}`],
    ['a 300-byte name to read', readFileTool, `notes/${long}`, LONG],
    ['a 300-byte folder name to write in', writeFileTool, `${long}/a.txt`, LONG],
    ['a dangling link to read', readFileTool, 'dangling', '"dangling" is a link to something that does not exist'],
    ['a dangling link to list', listFilesTool, 'dangling', '"dangling" is a link to something that does not exist'],
    [
      'a dangling link to write through',
      writeFileTool,
      'dangling/a.txt',
      'is inside a link to something that does not exist',
    ],
    ['a file taken for a folder', writeFileTool, 'notes/a.txt/b.txt', 'goes through a file as if it were a folder'],
  ] as const)('refuses %s for good, saying why', async (_what, tool, p, message) => {
    await symlink(path.join(root, 'nowhere'), path.join(ctx.workspace, 'dangling'));
    // Every tool keeps the fields it declares: the content is for write_file.
    const err = await rejectionOf(call(tool, { path: p, content: 'x' }), ToolError);
    expect(err.message).toContain(message);
    expect(err.retryable).toBe(false);
  });

  it('reads and writes names that begin with two dots: only a ".." segment leads out', async () => {
    await writeFile(path.join(ctx.workspace, '..foo'), 'dots');
    await expect(call(readFileTool, { path: '..foo' })).resolves.toMatchObject({ content: 'dots' });
    await call(writeFileTool, { path: 'notes/..bar/..baz.txt', content: 'more dots' });
    expect(await readFile(path.join(ctx.workspace, 'notes/..bar/..baz.txt'), 'utf8')).toBe('more dots');
    await expect(call(readFileTool, { path: 'notes/../../secret.txt' })).rejects.toThrow('leads outside');
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
