/**
 * `read_file`, `write_file`, `list_files`: file access confined to the workspace
 * (`PLANWRIGHT_WORKSPACE`). Absolute paths, `..` escapes and symlinks leading out are refused.
 */
import { lstat, readdir, realpath, stat } from 'node:fs/promises';
import path from 'node:path';
import { z } from 'zod';
import { defineTool, ToolError } from './define.js';
import { openInWorkspace, resolveInWorkspace, writeInWorkspace } from './workspace.js';

/** Largest file `read_file` returns, in bytes (outputs are kept in the run's state and history). */
export const MAX_READ_BYTES = 256_000;
/** Largest content `write_file` accepts, in bytes. */
export const MAX_WRITE_BYTES = 1_000_000;
/** Most entries `list_files` returns. */
export const MAX_LIST_ENTRIES = 1000;

const RelativePath = z.string().min(1).max(1000).describe('path relative to the workspace');

/** The `read_file` tool. */
export const readFileTool = defineTool({
  name: 'read_file',
  description: `Reads a UTF-8 text file from the workspace (at most ${MAX_READ_BYTES} bytes).`,
  input: z.object({ path: RelativePath }),
  output: z.object({ path: z.string(), content: z.string(), bytes: z.number() }),
  async run(input, ctx) {
    const handle = await openInWorkspace(ctx.workspace, input.path);
    try {
      // One byte past the limit is read at most, so a file that grew since it was opened is refused too.
      const buffer = Buffer.alloc(MAX_READ_BYTES + 1);
      let bytes = 0;
      while (bytes < buffer.length) {
        const { bytesRead } = await handle.read(buffer, bytes, buffer.length - bytes, bytes);
        if (bytesRead === 0) break;
        bytes += bytesRead;
      }
      if (bytes > MAX_READ_BYTES) {
        const { size } = await handle.stat();
        throw new ToolError(`"${input.path}" has ${size} bytes; read_file returns at most ${MAX_READ_BYTES}`, false);
      }
      return { path: input.path, content: buffer.toString('utf8', 0, bytes), bytes };
    } finally {
      await handle.close();
    }
  },
});

/** The `write_file` tool. */
export const writeFileTool = defineTool({
  name: 'write_file',
  description:
    'Writes UTF-8 text to a file in the workspace, creating folders as needed. mode: "create" (fails if the ' +
    'file exists), "overwrite" or "append".',
  input: z.object({
    path: RelativePath,
    content: z.string(),
    mode: z.enum(['create', 'overwrite', 'append']).default('create'),
  }),
  output: z.object({ path: z.string(), bytes: z.number() }),
  async run(input, ctx) {
    const bytes = Buffer.byteLength(input.content);
    if (bytes > MAX_WRITE_BYTES)
      throw new ToolError(`the content has ${bytes} bytes; at most ${MAX_WRITE_BYTES}`, false);
    await writeInWorkspace(ctx.workspace, input.path, input.content, input.mode);
    return { path: input.path, bytes };
  },
});

const Entry = z.object({ path: z.string(), type: z.enum(['file', 'directory', 'link', 'other']), bytes: z.number() });

/** The `list_files` tool. */
export const listFilesTool = defineTool({
  name: 'list_files',
  description: `Lists files in a workspace folder (recursively if asked; links are listed, not followed; at most ${MAX_LIST_ENTRIES}).`,
  input: z.object({ path: RelativePath.default('.'), recursive: z.boolean().default(false) }),
  output: z.object({ path: z.string(), entries: z.array(Entry), truncated: z.boolean() }),
  async run(input, ctx) {
    const root = await realpath(ctx.workspace);
    const start = await resolveInWorkspace(ctx.workspace, input.path);
    if (!(await stat(start)).isDirectory()) throw new ToolError(`"${input.path}" is not a folder`, false);
    const entries: z.infer<typeof Entry>[] = [];
    const queue = [start];
    while (queue.length > 0 && entries.length < MAX_LIST_ENTRIES) {
      const dir = queue.shift() as string;
      for (const dirent of (await readdir(dir, { withFileTypes: true })).sort((a, b) => a.name.localeCompare(b.name))) {
        const full = path.join(dir, dirent.name);
        const type = dirent.isSymbolicLink()
          ? 'link'
          : dirent.isDirectory()
            ? 'directory'
            : dirent.isFile()
              ? 'file'
              : 'other';
        const bytes = type === 'file' ? (await lstat(full)).size : 0;
        entries.push({ path: path.relative(root, full), type, bytes });
        if (type === 'directory' && input.recursive) queue.push(full);
        if (entries.length >= MAX_LIST_ENTRIES) break;
      }
    }
    return { path: input.path, entries, truncated: queue.length > 0 || entries.length >= MAX_LIST_ENTRIES };
  },
});
