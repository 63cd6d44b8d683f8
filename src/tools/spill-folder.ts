/**
 * Where a workspace's database spills what does not fit in its memory: a folder of its own, private to this user,
 * under the system's temporary folder and outside the workspace. DuckDB lets queries read the folder it spills to
 * (turning external access off adds it to the allowed directories, and it cannot be changed afterwards), so the folder
 * must hold nothing but that database's own temporary files; DuckDB's default, `.tmp` in the current folder, could
 * hold anything, and lies inside the workspace when the worker runs in it.
 */
import { rmSync } from 'node:fs';
import { chmod, mkdtemp, realpath } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';

/** Spill folders this process made, removed when it exits. */
const made = new Set<string>();
let removedAtExit = false;

/**
 * Makes a spill folder for the database of the workspace `root` (a real path). Returns `''`, which tells DuckDB not to
 * spill at all (a query then stays within the memory limit or fails), when the system's temporary folder is inside the
 * workspace or no folder can be made there.
 */
export async function makeSpillFolder(root: string): Promise<string> {
  try {
    const base = await realpath(os.tmpdir());
    if (base === root || base.startsWith(root + path.sep)) return '';
    const dir = await mkdtemp(path.join(base, 'planwright-duckdb-'));
    // mkdtemp makes it 0700 already; said again, whatever the platform does.
    await chmod(dir, 0o700);
    made.add(dir);
    if (!removedAtExit) process.once('exit', removeSpillFolders);
    removedAtExit = true;
    return dir;
  } catch {
    return '';
  }
}

/** Removes a spill folder that is not used (its database did not open). */
export function removeSpillFolder(dir: string): void {
  if (!made.delete(dir)) return;
  try {
    rmSync(dir, { recursive: true, force: true });
  } catch {
    // Left for the system to clear with its other temporary files.
  }
}

function removeSpillFolders(): void {
  for (const dir of made) removeSpillFolder(dir);
}
