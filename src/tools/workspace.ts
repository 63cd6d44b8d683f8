/**
 * The workspace: the one directory file-reading and file-writing tools may touch. Paths are checked before any file
 * is touched, and a file is checked again once it is open, so that a link put in place of a folder or a file in
 * between cannot lead a tool outside.
 */
import { constants } from 'node:fs';
import { lstat, mkdir, open, realpath, unlink, type FileHandle } from 'node:fs/promises';
import path from 'node:path';
import { ToolError } from './define.js';

/** The longest file name most file systems accept, in bytes. */
const NAME_MAX = 255;

/** How `write_file` writes: a new file only, the whole file, or at its end. */
export type WriteMode = 'create' | 'overwrite' | 'append';

/** Never follows a link as the file's own name, and never waits on a FIFO that nobody reads. */
const SAFE_OPEN = constants.O_NOFOLLOW | constants.O_NONBLOCK;

/**
 * Refuses a path that is not relative or that no file can have, before the file system sees it.
 * @throws {ToolError} (not retryable)
 */
function checkPath(relative: string): void {
  if (path.isAbsolute(relative)) {
    throw new ToolError(`"${relative}" is an absolute path; give a path relative to the workspace`, false);
  }
  if (relative.includes('\0')) {
    throw new ToolError(`${JSON.stringify(relative)} holds a NUL character, which no path can`, false);
  }
  const name = relative.split(/[/\\]/).find((part) => Buffer.byteLength(part) > NAME_MAX);
  if (name !== undefined) {
    throw new ToolError(
      `"${clip(relative)}" has a name of ${Buffer.byteLength(name)} bytes; names are at most ${NAME_MAX}`,
      false,
    );
  }
}

/**
 * A file system error about a path as a tool error that says what is wrong with the path, not retryable. Other errors
 * (a full disk, too many open files), which another attempt may not meet, are returned as they are, to be retried.
 */
function pathError(err: unknown, relative: string): unknown {
  const fail = (why: string) => new ToolError(`"${clip(relative)}" ${why}`, false, { cause: err });
  switch ((err as NodeJS.ErrnoException | undefined)?.code) {
    case 'ENOENT':
      return fail('does not exist in the workspace');
    case 'ENOTDIR':
      return fail('goes through a file as if it were a folder');
    case 'EISDIR':
      return fail('is a directory');
    case 'ENXIO':
      return fail('is not a file');
    case 'ELOOP':
      return fail('goes through links that lead in a loop');
    case 'ENAMETOOLONG':
      return fail('is too long a path');
    case 'EACCES':
    case 'EPERM':
      return fail('may not be used: permission denied');
    default:
      return err;
  }
}

/**
 * Resolves a path given by a plan to a real file inside the workspace.
 * @throws {ToolError} (not retryable) for absolute paths, `..` escapes, symlinks leading out, or a missing file.
 */
export async function resolveInWorkspace(workspace: string, relative: string): Promise<string> {
  checkPath(relative);
  const root = await realpath(workspace);
  const target = path.resolve(root, relative);
  if (!isInside(root, target)) throw new ToolError(`"${relative}" leads outside the workspace`, false);
  let real: string;
  try {
    real = await realpath(target);
  } catch (err) {
    if (await isLink(target)) {
      throw new ToolError(`"${relative}" is a link to something that does not exist`, false, { cause: err });
    }
    throw pathError(err, relative);
  }
  if (!isInside(root, real)) throw new ToolError(`"${relative}" is a link that leads outside the workspace`, false);
  return real;
}

/**
 * Resolves a path to write inside the workspace: the nearest existing ancestor must be inside it, and an
 * existing target must not be a link or a directory. This checks the path as it is now: to write, use
 * {@link writeInWorkspace}, which checks again as it opens the file.
 * @param tool names the writing tool in the messages.
 * @throws {ToolError} (not retryable) for absolute paths, escapes and links.
 */
export async function resolveForWrite(workspace: string, relative: string, tool = 'write_file'): Promise<string> {
  checkPath(relative);
  const root = await realpath(workspace);
  const target = path.resolve(root, relative);
  const inside = (p: string) => p !== root && isInside(root, p);
  if (!inside(target)) throw new ToolError(`"${relative}" leads outside the workspace`, false);
  const existing = await lstat(target).catch(() => undefined);
  if (existing?.isSymbolicLink())
    throw new ToolError(`"${relative}" is a link; ${tool} does not write through links`, false);
  if (existing?.isDirectory()) throw new ToolError(`"${relative}" is a directory`, false);
  let ancestor = path.dirname(target);
  while (!(await lstat(ancestor).catch(() => undefined))) ancestor = path.dirname(ancestor);
  const realAncestor = await realpath(ancestor).catch((err: unknown) => {
    throw (err as NodeJS.ErrnoException).code === 'ENOENT'
      ? new ToolError(`"${relative}" is inside a link to something that does not exist`, false, { cause: err })
      : pathError(err, relative);
  });
  if (realAncestor !== root && !inside(realAncestor)) {
    throw new ToolError(`"${relative}" is inside a link that leads outside the workspace`, false);
  }
  if (!(await lstat(realAncestor)).isDirectory()) {
    throw new ToolError(`"${relative}" goes through a file as if it were a folder`, false);
  }
  return target;
}

/**
 * Writes `content` to a file of the workspace, creating its folders. The path is checked first; then, once the
 * folders exist, their real path is checked again, the file is opened without following a link in its place, and
 * the open file is checked to be inside the workspace before anything is written (a file this call created outside
 * is removed).
 * @param tool names the writing tool in the messages.
 * @throws {ToolError} (not retryable) for paths outside the workspace, links, and a file that exists in `create` mode.
 */
export async function writeInWorkspace(
  workspace: string,
  relative: string,
  content: string,
  mode: WriteMode,
  tool = 'write_file',
): Promise<void> {
  const target = await resolveForWrite(workspace, relative, tool);
  const root = await realpath(workspace);
  await mkdir(path.dirname(target), { recursive: true }).catch((err: unknown) => {
    throw pathError(err, relative);
  });
  const folder = await realpath(path.dirname(target)).catch((err: unknown) => {
    throw pathError(err, relative);
  });
  if (!isInside(root, folder)) {
    throw new ToolError(`"${relative}" is inside a link that leads outside the workspace`, false);
  }
  const file = path.join(folder, path.basename(target));
  const { handle, created } = await openForWrite(file, mode).catch((err: unknown) => {
    const code = (err as NodeJS.ErrnoException).code;
    if (code === 'ELOOP') throw new ToolError(`"${relative}" is a link; ${tool} does not write through links`, false);
    if (code === 'EEXIST') {
      throw new ToolError(`"${relative}" already exists; use mode "overwrite" or "append"`, false);
    }
    throw pathError(err, relative);
  });
  try {
    await checkOpened(handle, root, relative, created);
    if (mode === 'overwrite') await handle.truncate(0);
    await handle.writeFile(content);
  } finally {
    await handle.close();
  }
}

/**
 * Opens a file of the workspace to read, without following a link in its place, after checking its path.
 * @throws {ToolError} (not retryable) for paths outside the workspace, links leading out, or a missing file.
 */
export async function openInWorkspace(workspace: string, relative: string): Promise<FileHandle> {
  const location = await resolveInWorkspace(workspace, relative);
  const handle = await open(location, constants.O_RDONLY | SAFE_OPEN).catch((err: unknown) => {
    throw pathError(err, relative);
  });
  try {
    await checkOpened(handle, await realpath(workspace), relative, false);
  } catch (err) {
    await handle.close();
    throw err;
  }
  return handle;
}

/**
 * Opens a file to write without creating it first when it exists, so that a file this call created is known (and
 * can be removed if it turns out to be outside the workspace).
 */
async function openForWrite(file: string, mode: WriteMode): Promise<{ handle: FileHandle; created: boolean }> {
  const flags = constants.O_WRONLY | SAFE_OPEN | (mode === 'append' ? constants.O_APPEND : 0);
  const create = () => open(file, flags | constants.O_CREAT | constants.O_EXCL);
  if (mode === 'create') return { handle: await create(), created: true };
  try {
    return { handle: await open(file, flags), created: false };
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code !== 'ENOENT') throw err;
    return { handle: await create(), created: true };
  }
}

/**
 * Checks a file once it is open: a regular file, and (where the system shows what an open file is, as Linux does in
 * `/proc/self/fd`) inside the workspace, whatever was swapped in along its path since it was checked.
 * @throws {ToolError} (not retryable)
 */
async function checkOpened(handle: FileHandle, root: string, relative: string, created: boolean): Promise<void> {
  if (!(await handle.stat()).isFile()) throw new ToolError(`"${relative}" is not a file`, false);
  const opened = await realpath(`/proc/self/fd/${handle.fd}`).catch(() => undefined);
  if (opened === undefined || isInside(root, opened)) return;
  if (created) await unlink(opened).catch(() => {});
  throw new ToolError(`"${relative}" leads outside the workspace: a folder on its way was replaced by a link`, false);
}

/** Whether `file` is a link (one that leads nowhere, when its real path cannot be had). */
async function isLink(file: string): Promise<boolean> {
  return (await lstat(file).catch(() => undefined))?.isSymbolicLink() ?? false;
}

/** Whether `target` is `root` or inside it: only a `..` segment leads out, not a name such as `..notes`. */
function isInside(root: string, target: string): boolean {
  const rel = path.relative(root, target);
  return rel === '' || (rel !== '..' && !rel.startsWith(`..${path.sep}`) && !path.isAbsolute(rel));
}

/** A path short enough to quote in a message. */
function clip(text: string): string {
  return text.length <= 80 ? text : `${text.slice(0, 77)}…`;
}
