/**
 * A custom tool loaded through PLANWRIGHT_TOOLS runs end to end on the dev server, and a bad tool module
 * fails with a clear message.
 */
import { writeFile, mkdtemp } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import type { TestWorkflowEnvironment } from '@temporalio/testing';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { loadTools, ToolModuleError } from '../../src/worker.js';
import { planReply, runScenario, wireStep } from '../support/e2e.js';
import { devServerEnv } from '../support/temporal.js';

let env: TestWorkflowEnvironment;
beforeAll(async () => {
  env = await devServerEnv();
});
afterAll(async () => {
  await env?.teardown();
});

describe('PLANWRIGHT_TOOLS', () => {
  it('adds the module’s tools to the worker, and plans can call them', async () => {
    const tools = await loadTools({ PLANWRIGHT_TOOLS: './examples/custom-tools/word-count.ts' });
    expect(tools.map((t) => t.name)).toContain('word_count');

    const { result, model, counts } = await runScenario(env, 'custom-tool', {
      tools,
      script: {
        plan: [planReply(wireStep('count_words', 'word_count', { text: 'the cat and the hat and the bat', top: 2 }))],
        synthesize: [{ content: '"the" is the most common word.' }],
      },
      input: { goal: 'Count words' },
    });
    expect(result.status).toBe('completed');
    expect(result.steps[0]?.output).toEqual({
      words: 8,
      top: [
        { word: 'the', count: 3 },
        { word: 'and', count: 2 },
      ],
    });
    expect(counts.byTool).toEqual({ word_count: 1 });
    expect(JSON.stringify(model.requests[0]?.messages)).toContain('word_count: Counts the words in a text');
  });

  it('says what is wrong with a module it cannot use', async () => {
    await expect(loadTools({ PLANWRIGHT_TOOLS: './nowhere/tools.ts' })).rejects.toThrow(
      /^cannot load PLANWRIGHT_TOOLS=\.\/nowhere\/tools\.ts: /,
    );
    const dir = await mkdtemp(path.join(tmpdir(), 'pw-tools-'));
    const empty = path.join(dir, 'empty.mjs');
    await writeFile(empty, 'export const answer = 42;\n');
    await expect(loadTools({ PLANWRIGHT_TOOLS: empty })).rejects.toThrow(
      `PLANWRIGHT_TOOLS=${empty} exports no tools; export values made with defineTool()`,
    );
    const clash = path.join(dir, 'clash.mjs');
    await writeFile(clash, "export const t = { name: 'calculator', description: 'x', input: {}, run: () => 1 };\n");
    await expect(loadTools({ PLANWRIGHT_TOOLS: clash })).rejects.toBeInstanceOf(ToolModuleError);
  });
});
