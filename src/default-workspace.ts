/**
 * The workspace (the folder the file tools and SQL read and write) when none is given: `PLANWRIGHT_WORKSPACE`, else
 * the current folder, but never, without saying so, a folder that holds `.env` files: they usually hold secrets
 * (API keys, database passwords), and a plan that reads them puts them in the run's history and the model's prompts.
 */
import type { Dirent } from 'node:fs';
import { readdir } from 'node:fs/promises';
import path from 'node:path';

/**
 * Files that hold secrets: `.env`, `.env.local`, `.env.production`… and direnv's `.envrc`, but not the templates
 * committed beside them (`.env.example`, `.env.sample`, `.env.template`).
 */
const SECRETS_FILE = /^\.env(rc|\.(?!(example|sample|template)$).+)?$/;

/** Folders not searched for `.env` files: installed packages and git's own. */
const SKIPPED = new Set(['node_modules', '.git']);

/** Most folders searched; a current folder with more is refused (a home folder, say), as it cannot be vouched for. */
export const MAX_SEARCHED_FOLDERS = 2000;

/** `.env` files named in the message; the rest are counted. */
const NAMED = 3;

/**
 * Thrown when the workspace would default to the current folder and that folder holds `.env` files (or is too
 * large to tell); the message says to set `PLANWRIGHT_WORKSPACE`.
 * @example
 * try { await workspaceFromEnv(); } catch (err) { if (err instanceof UnsafeWorkspaceError) console.error(err.found); }
 */
export class UnsafeWorkspaceError extends Error {
  override readonly name = 'UnsafeWorkspaceError';
  constructor(
    /** The folder the workspace would have been. */
    readonly folder: string,
    /** The `.env` files found, relative to it; empty when the folder was too large to search. */
    readonly found: readonly string[],
  ) {
    const what =
      found.length > 0
        ? `which holds ${found.slice(0, NAMED).join(', ')}${found.length > NAMED ? ` and ${found.length - NAMED} more` : ''} (files that usually hold secrets)`
        : `which has too many folders (over ${MAX_SEARCHED_FOLDERS}) to check for .env files`;
    super(
      `the workspace (the folder the file tools and SQL read) would default to the current folder ${folder}, ${what}; ` +
        'set PLANWRIGHT_WORKSPACE to the folder the tools may read (PLANWRIGHT_WORKSPACE=. to let them read this one)',
    );
  }
}

/**
 * The workspace a worker uses when it is given none: `PLANWRIGHT_WORKSPACE` when set (taken as it is), else the
 * current folder when neither it nor a folder below it holds a `.env` file (`.env.*`, `.envrc`; `node_modules` and
 * `.git` are not searched, and `.env.example`, `.env.sample` and `.env.template` are templates, not secrets).
 * @throws {UnsafeWorkspaceError} when the current folder holds `.env` files, or more folders than can be searched.
 * @example const workspace = await workspaceFromEnv(); // '/srv/agent' (PLANWRIGHT_WORKSPACE, or the current folder)
 */
export async function workspaceFromEnv(env: NodeJS.ProcessEnv = process.env, cwd = process.cwd()): Promise<string> {
  if (env.PLANWRIGHT_WORKSPACE) return path.resolve(cwd, env.PLANWRIGHT_WORKSPACE);
  const folder = path.resolve(cwd);
  const found = await secretsFiles(folder);
  if (found === undefined || found.length > 0) throw new UnsafeWorkspaceError(folder, found ?? []);
  return folder;
}

/** The `.env` files in `root` and the folders below it, relative to it; undefined when there are too many folders. */
async function secretsFiles(root: string): Promise<string[] | undefined> {
  const found: string[] = [];
  const pending = [''];
  for (let searched = 0, folder = pending.shift(); folder !== undefined; folder = pending.shift()) {
    if (++searched > MAX_SEARCHED_FOLDERS) return undefined;
    let entries: Dirent[];
    try {
      entries = await readdir(path.join(root, folder), { withFileTypes: true });
    } catch {
      continue; // a folder the worker cannot read, it cannot read from either
    }
    for (const entry of entries) {
      const relative = path.join(folder, entry.name);
      if (entry.isDirectory()) {
        if (!SKIPPED.has(entry.name)) pending.push(relative);
      } else if (SECRETS_FILE.test(entry.name)) found.push(relative);
    }
  }
  return found.sort();
}
