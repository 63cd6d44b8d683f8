/**
 * The cache of workflow bundles: a bundle is built once per version of the code it is made of, and a cache that
 * cannot be written costs only the time of bundling.
 */
import { mkdir, mkdtemp, readFile, readdir, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterEach, beforeEach, describe, expect, inject, it } from 'vitest';
import { BUNDLE_SOURCES, bundleKey, planwrightWorkflowBundle, type BundleSources } from '../../src/workflow-bundle.js';

let dir: string;
let sources: BundleSources;
let builds: number;
const build = async () => `// bundle ${++builds}`;

beforeEach(async () => {
  dir = await mkdtemp(path.join(tmpdir(), 'planwright-bundles-'));
  const root = path.join(dir, 'workflows');
  await mkdir(path.join(root, 'nested'), { recursive: true });
  await writeFile(path.join(root, 'index.ts'), 'export const a = 1;');
  await writeFile(path.join(root, 'nested', 'b.ts'), 'export const b = 2;');
  sources = { roots: [root], versions: () => ({ '@temporalio/workflow': '1.0.0' }), options: { entry: 'index' } };
  builds = 0;
});
afterEach(async () => {
  await rm(dir, { recursive: true, force: true });
});

describe('the workflow bundle cache', () => {
  it('builds a bundle once and loads it from the cache afterwards', async () => {
    const cache = path.join(dir, 'cache');
    const first = await planwrightWorkflowBundle({ cacheDir: cache, sources, build });
    const second = await planwrightWorkflowBundle({ cacheDir: cache, sources, build });
    expect(first).toEqual({ code: '// bundle 1' });
    expect(second).toEqual({ code: '// bundle 1' });
    expect(builds).toBe(1);
    expect((await readdir(path.join(cache, 'workflow-bundles'))).filter((f) => f.endsWith('.js'))).toHaveLength(1);
  });

  it('builds again when a source file, a package version or the options change', async () => {
    const cache = path.join(dir, 'cache');
    await planwrightWorkflowBundle({ cacheDir: cache, sources, build });
    await writeFile(path.join(dir, 'workflows', 'nested', 'b.ts'), 'export const b = 3;');
    expect(await planwrightWorkflowBundle({ cacheDir: cache, sources, build })).toEqual({ code: '// bundle 2' });
    const newer = { ...sources, versions: () => ({ '@temporalio/workflow': '1.0.1' }) };
    expect(await planwrightWorkflowBundle({ cacheDir: cache, sources: newer, build })).toEqual({
      code: '// bundle 3',
    });
    const other = { ...sources, options: { entry: 'other' } };
    expect(await planwrightWorkflowBundle({ cacheDir: cache, sources: other, build })).toEqual({
      code: '// bundle 4',
    });
    // Each version is kept: going back to one loads it again.
    expect(await planwrightWorkflowBundle({ cacheDir: cache, sources, build })).toEqual({ code: '// bundle 2' });
    expect(builds).toBe(4);
  });

  it('builds again when the code of a function among the options changes', async () => {
    const cache = path.join(dir, 'cache');
    const withHook = (hook: (config: object) => object) => ({ ...sources, options: { entry: 'index', hook } });
    await planwrightWorkflowBundle({ cacheDir: cache, sources: withHook((c) => c), build });
    await planwrightWorkflowBundle({ cacheDir: cache, sources: withHook((c) => ({ ...c })), build });
    expect(builds).toBe(2);
  });

  it('builds every time, and caches nothing, when a package version cannot be found', async () => {
    const cache = path.join(dir, 'cache');
    const unknown = { ...sources, versions: () => undefined };
    await planwrightWorkflowBundle({ cacheDir: cache, sources: unknown, build });
    await planwrightWorkflowBundle({ cacheDir: cache, sources: unknown, build });
    expect(builds).toBe(2);
  });

  it('still gives the bundle when the cache cannot be written', async () => {
    const notADirectory = path.join(dir, 'file');
    await writeFile(notADirectory, '');
    expect(await planwrightWorkflowBundle({ cacheDir: notADirectory, sources, build })).toEqual({
      code: '// bundle 1',
    });
  });

  it("keys planwright's own bundle by the installed packages and the sources", async () => {
    const { roots, versions } = BUNDLE_SOURCES;
    // Every bundled package is found where the workflows are, so bundles are cached at all.
    expect(Object.keys(versions() ?? {})).toEqual(
      expect.arrayContaining(['@temporalio/worker', '@temporalio/workflow', '@temporalio/common', 'zod']),
    );
    expect(roots.map((r) => path.basename(r))).toEqual(['workflows', 'src']);
    const key = await bundleKey(BUNDLE_SOURCES);
    expect(key).toMatch(/^[0-9a-f]{32}$/);
  });

  it('compiles the workflow code for ES2022: no ES2017 helpers for object spread or class fields', async () => {
    const code = await readFile(inject('workflowBundlePath'), 'utf8');
    expect(code).toContain('./workflows/execute.');
    expect(code).not.toMatch(/_object_spread|_define_property\(/);
  });
});
