/**
 * The per-user cache directory: built servers, workflow bundles, cached plans, the dev server's database and
 * kept outputs live under it.
 */
import { homedir } from 'node:os';
import path from 'node:path';

/** The per-user cache directory: `PLANWRIGHT_CACHE_DIR`, else `$XDG_CACHE_HOME/planwright`, else `~/.cache/planwright`. */
export function cacheDir(env: NodeJS.ProcessEnv = process.env): string {
  return env.PLANWRIGHT_CACHE_DIR || path.join(env.XDG_CACHE_HOME || path.join(homedir(), '.cache'), 'planwright');
}
