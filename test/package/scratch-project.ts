/**
 * A scratch project in a temporary folder that installs the packed planwright tarball as a user's project
 * does, offline: its lockfile takes every version from this repository's lockfile, so npm needs no registry
 * metadata, and the tarballs come from the npm cache that `npm ci` filled.
 */
import { execFile } from 'node:child_process';
import { copyFile, mkdtemp, readFile, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';

const exec = promisify(execFile);

/** What a command printed, and how it ended. */
export interface Ran {
  code: number;
  output: string;
}

/** The repository's root folder. */
export const ROOT = fileURLToPath(new URL('../..', import.meta.url));

interface Lockfile {
  packages: Record<string, { version?: string; dev?: boolean; devOptional?: boolean; [key: string]: unknown }>;
}

/**
 * The environment for commands in the scratch project: this process's, without what the outer npm run and
 * vitest set (which would steer the inner npm and vitest), without a real model or tools of the caller's (the
 * demo runs on its scripted model), and without colors (the output is checked).
 */
function cleanEnv(): NodeJS.ProcessEnv {
  const kept = Object.entries(process.env).filter(
    ([key]) => !/^(npm_|VITEST|NODE_OPTIONS$|TINYPOOL|FORCE_COLOR$|OPENAI_|PLANWRIGHT_(TOOLS|WORKSPACE)$)/i.test(key),
  );
  return { ...Object.fromEntries(kept), NO_COLOR: '1' };
}

/** Runs a command in `cwd`, never throwing: the caller checks `code` and shows `output` when it fails. */
export async function run(command: string, args: string[], cwd: string, timeoutMs = 300_000): Promise<Ran> {
  try {
    const { stdout, stderr } = await exec(command, args, {
      cwd,
      env: cleanEnv(),
      timeout: timeoutMs,
      maxBuffer: 64 * 1024 * 1024,
    });
    return { code: 0, output: `${stdout}${stderr}` };
  } catch (err) {
    const {
      code,
      stdout = '',
      stderr = '',
      message,
    } = err as { code?: number; stdout?: string; stderr?: string; message: string };
    return { code: typeof code === 'number' ? code : 1, output: `${message}\n${stdout}${stderr}` };
  }
}

/** Builds the package and packs it; returns the tarball's path. @throws {Error} when either step fails. */
export async function buildAndPack(destination: string): Promise<string> {
  const build = await run('npm', ['run', 'build'], ROOT, 600_000);
  if (build.code !== 0) throw new Error(`npm run build failed:\n${build.output}`);
  const pack = await run('npm', ['pack', '--ignore-scripts', '--json', '--pack-destination', destination], ROOT);
  if (pack.code !== 0) throw new Error(`npm pack failed:\n${pack.output}`);
  const [{ filename }] = JSON.parse(pack.output.slice(pack.output.indexOf('['))) as [{ filename: string }];
  return path.join(destination, filename);
}

/**
 * Creates a project that depends on the tarball, vitest, zod, typescript and @types/node (the versions this
 * repository uses), copies `files` into it and installs offline.
 * @throws {Error} when the installation fails.
 */
export async function scratchProject(
  tarball: string,
  files: Record<string, string>,
): Promise<{ dir: string; install: Ran }> {
  const dir = await mkdtemp(path.join(tmpdir(), 'planwright-scratch-'));
  await copyFile(tarball, path.join(dir, path.basename(tarball)));
  const lock = JSON.parse(await readFile(path.join(ROOT, 'package-lock.json'), 'utf8')) as Lockfile;
  const ours = JSON.parse(await readFile(path.join(ROOT, 'package.json'), 'utf8')) as Record<string, unknown>;
  const version = (name: string) => lock.packages[`node_modules/${name}`]?.version ?? '*';
  const dependencies = {
    planwright: `file:${path.basename(tarball)}`,
    ...Object.fromEntries(['vitest', 'zod', 'typescript', '@types/node'].map((name) => [name, version(name)])),
  };
  const packages: Lockfile['packages'] = { '': { name: 'scratch', dependencies } };
  packages['node_modules/planwright'] = {
    version: ours.version as string,
    resolved: dependencies.planwright,
    dependencies: ours.dependencies,
    bin: ours.bin,
    engines: ours.engines,
  };
  // Every package this repository installs, as it installs it; npm leaves out those nothing here needs.
  for (const [key, entry] of Object.entries(lock.packages)) {
    if (key === '') continue;
    const { dev: _dev, devOptional: _devOptional, ...kept } = entry;
    packages[key] = kept;
  }
  await writeFile(
    path.join(dir, 'package.json'),
    JSON.stringify({ name: 'scratch', private: true, type: 'module', dependencies }, null, 2),
  );
  await writeFile(
    path.join(dir, 'package-lock.json'),
    JSON.stringify({ name: 'scratch', lockfileVersion: 3, requires: true, packages }, null, 2),
  );
  for (const [name, text] of Object.entries(files)) await writeFile(path.join(dir, name), text);
  const install = await run('npm', ['install', '--offline', '--no-audit', '--no-fund'], dir, 600_000);
  if (install.code !== 0) throw new Error(`npm install --offline failed in ${dir}:\n${install.output}`);
  return { dir, install };
}
