/**
 * The console for people that `planwright serve` offers at `/`: one HTML page, its stylesheet, and its script,
 * bundled from src/serve/console/browser/ with esbuild the first time it is asked for (kept in memory after). The
 * page reads the same API as any app; `/console/config.json` tells it whether it needs the token and where the
 * Temporal Web UI is.
 */
import { readFile } from 'node:fs/promises';
import type { Hono } from 'hono';
import { HttpProblem } from './problems.js';

/** What the console is told by the server. */
export interface ConsoleConfig {
  /** Whether the API needs `Authorization: Bearer <token>` (the page then asks for it once). */
  tokenRequired: boolean;
  /** The Temporal Web UI's base URL, for links to a run; none: no links. */
  webUi?: string;
  /** The namespace of the runs, for those links. */
  namespace: string;
}

/**
 * Where the Web UI of the Temporal server at `address` is, unless told: next to a server on this machine, at its
 * port plus 1000 (as `planwright dev` and Temporal's dev server put it); none for a server elsewhere.
 * @example defaultWebUi('localhost:7233') // 'http://localhost:8233'
 */
export function defaultWebUi(address: string): string | undefined {
  const match = /^(localhost|127\.0\.0\.1|\[::1\]):(\d+)$/.exec(address);
  if (!match) return undefined;
  const port = Number(match[2]) + 1000;
  return port <= 65_535 ? `http://${match[1]}:${port}` : undefined;
}

const BROWSER = new URL('./console/browser/', import.meta.url);

/** Adds the console's routes (`/`, `/console/*`) to the API. */
export function addConsole(app: Hono, config: ConsoleConfig): void {
  let script: Promise<string> | undefined;
  app.get('/', async (c) => c.html(await readFile(new URL('index.html', BROWSER), 'utf8')));
  app.get('/console/config.json', (c) => c.json(config));
  app.get('/console/console.css', async (c) =>
    c.body(await readFile(new URL('console.css', BROWSER), 'utf8'), 200, { 'content-type': 'text/css; charset=utf-8' }),
  );
  app.get('/console/console.js', async (c) => {
    script ??= bundleConsole().catch((err: unknown) => {
      script = undefined;
      throw err;
    });
    return c.body(await script, 200, { 'content-type': 'text/javascript; charset=utf-8' });
  });
}

/**
 * The console's script as one minified ES module (its own code and the graph layout library).
 * @throws {HttpProblem} 500 when esbuild cannot bundle it (a broken install).
 */
export async function bundleConsole(): Promise<string> {
  const { build } = await import('esbuild');
  try {
    const result = await build({
      entryPoints: [new URL('main.ts', BROWSER).pathname],
      bundle: true,
      format: 'esm',
      minify: true,
      target: 'es2022',
      write: false,
      legalComments: 'none',
      logLevel: 'silent',
    });
    return result.outputFiles[0]?.text ?? '';
  } catch (err) {
    throw new HttpProblem(
      500,
      'Console unavailable',
      `the console's script could not be built: ${(err as Error).message}`,
    );
  }
}
