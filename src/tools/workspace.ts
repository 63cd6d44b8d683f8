/**
 * The workspace: the one directory file-reading and file-writing tools may touch.
 */
import { lstat, realpath } from 'node:fs/promises';
import path from 'node:path';
import { ToolError } from './define.js';

/**
 * Resolves a path given by a plan to a real file inside the workspace.
 * @throws {ToolError} (not retryable) for absolute paths, `..` escapes, symlinks leading out, or a missing file.
 */
export async function resolveInWorkspace(workspace: string, relative: string): Promise<string> {
  if (path.isAbsolute(relative)) {
    throw new ToolError(`"${relative}" is an absolute path; give a path relative to the workspace`, false);
  }
  const root = await realpath(workspace);
  const target = path.resolve(root, relative);
  if (!isInside(root, target)) throw new ToolError(`"${relative}" leads outside the workspace`, false);
  let real: string;
  try {
    real = await realpath(target);
  } catch {
    throw new ToolError(`"${relative}" does not exist in the workspace`, false);
  }
  if (!isInside(root, real)) throw new ToolError(`"${relative}" is a link that leads outside the workspace`, false);
  return real;
}

/**
 * Resolves a path to write inside the workspace: the nearest existing ancestor must be inside it, and an
 * existing target must not be a link or a directory.
 * @param tool names the writing tool in the messages.
 * @throws {ToolError} (not retryable) for absolute paths, escapes and links.
 */
export async function resolveForWrite(workspace: string, relative: string, tool = 'write_file'): Promise<string> {
  if (path.isAbsolute(relative)) {
    throw new ToolError(`"${relative}" is an absolute path; give a path relative to the workspace`, false);
  }
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
  const realAncestor = await realpath(ancestor);
  if (realAncestor !== root && !inside(realAncestor)) {
    throw new ToolError(`"${relative}" is inside a link that leads outside the workspace`, false);
  }
  return target;
}

function isInside(root: string, target: string): boolean {
  const rel = path.relative(root, target);
  return rel === '' || (!rel.startsWith('..') && !path.isAbsolute(rel));
}
