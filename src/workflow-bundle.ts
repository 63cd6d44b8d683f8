/**
 * The workflow bundle: how `workflows/` is bundled for the SDK's sandbox, and a cache of built bundles.
 *
 * Bundling takes seconds (webpack over the workflow code, zod and the SDK's workflow side), and every worker
 * start paid it: `planwright worker`, `dev` and `demo` alike. A bundle is now kept in the user cache under a key
 * made of everything it is built from — the contents of `workflows/` and `src/`, the installed versions of the
 * packages bundled with them and of the bundler, and the bundle options — so a worker started again with the same
 * code loads it in milliseconds, and any change to the code builds a new one.
 */
import { createHash } from 'node:crypto';
import { existsSync, readFileSync } from 'node:fs';
import { mkdir, readFile, readdir, rename, rm, stat, writeFile } from 'node:fs/promises';
import { createRequire } from 'node:module';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { bundleWorkflowCode, type BundleOptions, type WorkflowBundle } from '@temporalio/worker';
import { cacheDir } from './cache-dir.js';

/**
 * Path of the workflows entry point, for `workflowsPath` and `bundleWorkflowCode`: the TypeScript source in a
 * clone, the compiled JavaScript next to this module in the installed package.
 */
export const WORKFLOWS_PATH = fileURLToPath(
  new URL(`../workflows/index.${import.meta.url.endsWith('.ts') ? 'ts' : 'js'}`, import.meta.url),
);

/** A module next to the workflows entry point, in the same form (TypeScript in a clone, JavaScript installed). */
export const workflowModule = (name: string) => WORKFLOWS_PATH.replace(/index\.(ts|js)$/, `${name}.$1`);

/** The bundler's configuration, as `webpackConfigHook` gets it. */
type BundlerConfig = Parameters<NonNullable<BundleOptions['webpackConfigHook']>>[0];

/**
 * Compiles the workflow code's TypeScript for ES2022, as `tsc` compiles the installed package, instead of the
 * bundler's ES2017: ES2017 turns every object spread, optional chain and class field into calls of helpers, which
 * made each run's code slower on the workflow thread (workers run on Node 20 or later, which runs ES2022 as is).
 * A configuration without the TypeScript loader where it is expected is left as it is.
 */
function compiledForES2022(config: BundlerConfig): BundlerConfig {
  for (const rule of config.module?.rules ?? []) {
    const use = rule && typeof rule === 'object' && !Array.isArray(rule.use) ? rule.use : undefined;
    const options = use && typeof use === 'object' && /swc-loader/.test(String(use.loader)) ? use.options : undefined;
    if (options && typeof options === 'object' && typeof options.jsc === 'object') options.jsc.target = 'es2022';
  }
  return config;
}

/**
 * How the workflow code is bundled, wherever it is: the entry point, the modules every run in a worker thread
 * shares instead of evaluating its own copy (workflows/shared-modules.ts: zod), the interceptor that renders a
 * run's Current Details only when the Web UI asks for them (workflows/current-details.ts), and TypeScript compiled
 * for ES2022.
 */
export const WORKFLOW_BUNDLE_OPTIONS = {
  workflowsPath: WORKFLOWS_PATH,
  preloadModules: [workflowModule('shared-modules')],
  workflowInterceptorModules: [workflowModule('current-details')],
  webpackConfigHook: compiledForES2022,
};

/** Where the bundled code comes from: the workflows and the modules of `src/` they import. */
const SOURCE_ROOTS = [path.dirname(WORKFLOWS_PATH), path.join(path.dirname(WORKFLOWS_PATH), '..', 'src')];

/**
 * The packages whose code goes into the bundle (resolved from the workflows, or from the package named second),
 * and the bundler's: their installed versions are part of a bundle's key.
 */
const BUNDLED_PACKAGES: ReadonlyArray<readonly [name: string, from?: string]> = [
  ['@temporalio/worker'],
  ['@temporalio/workflow'],
  ['@temporalio/common', '@temporalio/workflow'],
  ['nexus-rpc', '@temporalio/common'],
  ['long', '@temporalio/common'],
  ['ms', '@temporalio/common'],
  ['zod'],
];

/**
 * Bundles kept at most (about 4 MB each); older ones are removed when a new one is written. A version of the code
 * has up to three (plain, observed, traced), and a machine often holds a few versions (projects, upgrades).
 */
const KEPT_BUNDLES = 12;

/** What a cached bundle is made of; tests give their own. */
export interface BundleSources {
  roots: readonly string[];
  /** Installed versions by package, or undefined when one could not be found (then nothing is cached). */
  versions: () => Record<string, string> | undefined;
  options: unknown;
}

/** What planwright's own bundle is made of. */
export const BUNDLE_SOURCES: BundleSources = {
  roots: SOURCE_ROOTS,
  versions: installedVersions,
  options: WORKFLOW_BUNDLE_OPTIONS,
};

/** The quiet logger the bundler gets: its warnings and errors are shown, its progress is not. */
const bundlerLogger = {
  log: () => {},
  trace: () => {},
  debug: () => {},
  info: () => {},
  warn: (message: string) => console.warn(message),
  error: (message: string) => console.error(message),
};

/**
 * planwright's workflow bundle: from the cache when this exact code was bundled before, built (and kept) otherwise.
 * A cache that cannot be read or written only costs the time of bundling.
 * @throws {Error} when the workflow code cannot be bundled.
 */
export async function planwrightWorkflowBundle(
  options: { cacheDir?: string; sources?: BundleSources; build?: () => Promise<string> } = {},
): Promise<WorkflowBundle> {
  const sources = options.sources ?? BUNDLE_SOURCES;
  const build =
    options.build ??
    (async () => (await bundleWorkflowCode({ ...WORKFLOW_BUNDLE_OPTIONS, logger: bundlerLogger })).code);
  const key = await bundleKey(sources).catch(() => undefined);
  if (key === undefined) return { code: await build() };
  const dir = path.join(options.cacheDir ?? cacheDir(), 'workflow-bundles');
  const file = path.join(dir, `${key}.js`);
  const cached = await readFile(file, 'utf8').catch(() => undefined);
  if (cached) return { code: cached };
  const code = await build();
  await keep(dir, file, code).catch(() => undefined);
  return { code };
}

/** The key of a bundle: a digest of its sources' contents, the versions it is built with, and its options. */
export async function bundleKey(sources: BundleSources): Promise<string | undefined> {
  const versions = sources.versions();
  if (!versions) return undefined;
  const hash = createHash('sha256');
  // Functions among the options (the bundler's configuration hook) count by their code.
  hash.update(
    JSON.stringify({ versions, options: sources.options }, (_, v: unknown) =>
      typeof v === 'function' ? String(v) : v,
    ),
  );
  for (const root of sources.roots) {
    for (const file of await filesUnder(root)) {
      hash.update(`\0${path.relative(root, file)}\0`);
      hash.update(await readFile(file));
    }
  }
  return hash.digest('hex').slice(0, 32);
}

/** Every file under a directory, in a fixed order. */
async function filesUnder(dir: string): Promise<string[]> {
  const files: string[] = [];
  for (const entry of await readdir(dir, { withFileTypes: true })) {
    const full = path.join(dir, entry.name);
    if (entry.isDirectory()) files.push(...(await filesUnder(full)));
    else if (entry.isFile()) files.push(full);
  }
  return files.sort();
}

/** Writes a bundle into the cache (whole or not at all) and removes all but the newest few. */
async function keep(dir: string, file: string, code: string): Promise<void> {
  await mkdir(dir, { recursive: true });
  const partial = `${file}.${process.pid}.partial`;
  await writeFile(partial, code);
  await rename(partial, file);
  const bundles = await Promise.all(
    (await readdir(dir))
      .filter((name) => name.endsWith('.js'))
      .map(async (name) => ({ name, mtime: (await stat(path.join(dir, name))).mtimeMs })),
  );
  bundles.sort((a, b) => b.mtime - a.mtime);
  await Promise.all(bundles.slice(KEPT_BUNDLES).map(({ name }) => rm(path.join(dir, name), { force: true })));
}

/** The installed version of each bundled package, or undefined when one cannot be found. */
function installedVersions(): Record<string, string> | undefined {
  const dirs = new Map<string, string>();
  const versions: Record<string, string> = {};
  for (const [name, from] of BUNDLED_PACKAGES) {
    const fromDir = from === undefined ? undefined : dirs.get(from);
    if (from !== undefined && fromDir === undefined) return undefined;
    const dir = packageDir(name, fromDir === undefined ? WORKFLOWS_PATH : path.join(fromDir, 'package.json'));
    if (dir === undefined) return undefined;
    const { version } = JSON.parse(readFileSync(path.join(dir, 'package.json'), 'utf8')) as { version?: string };
    if (!version) return undefined;
    dirs.set(name, dir);
    versions[name] = version;
  }
  return versions;
}

/** The directory of a package as Node resolves it from `from`, or undefined. */
function packageDir(name: string, from: string): string | undefined {
  let entry: string;
  try {
    entry = createRequire(from).resolve(name);
  } catch {
    return undefined;
  }
  for (let dir = path.dirname(entry); ; dir = path.dirname(dir)) {
    const manifest = path.join(dir, 'package.json');
    if (existsSync(manifest) && (JSON.parse(readFileSync(manifest, 'utf8')) as { name?: string }).name === name) {
      return dir;
    }
    if (path.dirname(dir) === dir) return undefined;
  }
}
