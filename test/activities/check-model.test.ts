/**
 * `planwright check-model` against the scripted model: a server that refuses `json_schema`, one without tool
 * support, one whose chat template wants alternating roles, and no server at all. Every probe is a request of
 * its own with no phase header, so the script answers from its `any` queue, one entry a request.
 */
import { spawn } from 'node:child_process';
import { createServer } from 'node:net';
import { afterEach, describe, expect, it } from 'vitest';
import { modelCheckExitCode, renderModelCheck } from '../../src/cli/check-model.js';
import { checkModel, type ModelCheck } from '../../src/llm/check-model.js';
import { PROBES } from '../../src/llm/check-model-probes.js';
import type { ModelConfig } from '../../src/llm/config.js';
import {
  startScriptedModel,
  type RecordedRequest,
  type ScriptEntry,
  type ScriptedModel,
  type ScriptedReply,
} from '../../src/testing/scripted-model.js';

/** Requests one check makes: every probe but `GET /models`, which the scripted model answers by itself. */
const CHAT_PROBES = Object.keys(PROBES).length - 1;

const PLAN = {
  rationale: null,
  steps: [
    {
      id: 'multiply',
      title: 'Multiply',
      description: null,
      dependsOn: [],
      tool: 'calculator',
      args: { expression: '17 * 23' },
      successCriterion: null,
      critical: null,
      fallback: null,
    },
  ],
};

/** How a well-behaved server answers each probe; `faults` replaces the answer to one kind of request. */
function answers(faults: { jsonSchema?: ScriptedReply; tools?: ScriptedReply } = {}): ScriptEntry[] {
  const answer = (request: RecordedRequest): ScriptedReply => {
    const format = request.body.response_format as { type?: string } | undefined;
    if (format?.type === 'json_schema') {
      return faults.jsonSchema ?? { content: request.responseFormat === 'plan' ? PLAN : { count: 5, fruit: 'apples' } };
    }
    if (format?.type === 'json_object') return { content: { count: 5, fruit: 'apples' } };
    if (request.body.tools) {
      return faults.tools ?? { toolCalls: [{ name: 'calculator', arguments: { expression: '17 * 23' } }] };
    }
    // Long enough to run past the cap of 5 tokens (20 characters) of the cap probes.
    return { content: '1 2 3 4 5 6 7 8 9 10 11 12 13 14 15 16 17 18 19 20' };
  };
  return Array.from({ length: CHAT_PROBES }, () => answer);
}

let model: ScriptedModel | undefined;
afterEach(async () => {
  await model?.close();
  model = undefined;
});

const configFor = (baseURL: string): ModelConfig => ({ apiKey: 'k', baseURL, model: 'scripted', timeoutMs: 5_000 });
const statusOf = (check: ModelCheck) => Object.fromEntries(check.probes.map((p) => [p.id, p.status]));
const settingsOf = (check: ModelCheck) => Object.fromEntries(check.settings.map((s) => [s.name, s.value]));

describe('checkModel', () => {
  it('recommends JSON mode when the server refuses json_schema', async () => {
    const refusal = { fault: { status: 400, message: 'response_format json_schema is not supported' } };
    model = await startScriptedModel({ strict: { alternation: false, requireCap: false } });
    model.enqueue({ any: answers({ jsonSchema: refusal }) });

    const check = await checkModel(configFor(model.url), { timeoutMs: 5_000 });

    model.assertDone({ all: true });
    expect(statusOf(check)).toEqual({
      models: 'ok',
      chat: 'ok',
      max_tokens: 'ok',
      max_completion_tokens: 'ok',
      temperature: 'ok',
      usage: 'ok',
      json_schema: 'unsupported',
      plan_format: 'unsupported',
      json_object: 'ok',
      roles_user_user: 'ok',
      roles_user_system: 'ok',
      tools: 'ok',
    });
    expect(check.probes.find((p) => p.id === 'json_schema')?.detail).toContain(
      'response_format json_schema is not supported',
    );
    expect(settingsOf(check)).toEqual({
      PLANWRIGHT_MAX_TOKENS_FIELD: 'max_tokens',
      PLANWRIGHT_STRUCTURED_OUTPUT: 'json_object',
      PLANWRIGHT_TOOL_CALLS: 'native',
    });
    expect(check.settings.find((s) => s.name === 'PLANWRIGHT_STRUCTURED_OUTPUT')?.changed).toBe(true);
    expect(check).toMatchObject({ reachable: true, runnable: true, models: ['scripted'], modelListed: true });
    expect(modelCheckExitCode(check)).toBe(0);
    expect(renderModelCheck(check)).toContain('PLANWRIGHT_STRUCTURED_OUTPUT=json_object');

    // Each cap probe sends its own field alone; the rest carry the worker's field and temperature.
    const [, capA, capB, temperature] = model.requests;
    expect([capA?.body.max_tokens, capA?.body.max_completion_tokens]).toEqual([5, undefined]);
    expect([capB?.body.max_tokens, capB?.body.max_completion_tokens]).toEqual([undefined, 5]);
    expect(temperature?.body.temperature).toBe(0.2);
    expect(model.requests.map((r) => r.phase)).toEqual(Array(CHAT_PROBES).fill('unknown'));
  });

  it.each([
    ['refuses tools', { fault: { status: 400, message: 'tools param requires --jinja flag' } }, 'unsupported'],
    ['answers in text', { content: '17 * 23 = 391' }, 'failed'],
  ] as const)('recommends tool calls as JSON when the server %s', async (_, tools, status) => {
    model = await startScriptedModel({ strict: { alternation: false, requireCap: false } });
    model.enqueue({ any: answers({ tools }) });

    const check = await checkModel(configFor(model.url), { timeoutMs: 5_000 });

    model.assertDone({ all: true });
    expect(check.probes.find((p) => p.id === 'tools')?.status).toBe(status);
    expect(check.settings.find((s) => s.name === 'PLANWRIGHT_TOOL_CALLS')).toMatchObject({
      value: 'json',
      changed: true,
    });
    expect(settingsOf(check).PLANWRIGHT_STRUCTURED_OUTPUT).toBe('json_schema');
    expect(modelCheckExitCode(check)).toBe(0);
    expect(renderModelCheck(check)).toContain('PLANWRIGHT_TOOL_CALLS=json');
  });

  it('sends a cap with every request, and notes a chat template that wants alternating roles', async () => {
    model = await startScriptedModel(); // strict: alternating roles and an output cap on every request
    model.enqueue({ any: answers().slice(2) }); // the two role probes are refused before the script is read

    const check = await checkModel(configFor(model.url), { timeoutMs: 5_000 });

    model.assertDone({ all: true });
    expect(check.probes.filter((p) => p.status !== 'ok').map((p) => [p.id, p.status])).toEqual([
      ['roles_user_user', 'unsupported'],
      ['roles_user_system', 'unsupported'],
    ]);
    expect(check.probes.find((p) => p.id === 'roles_user_user')?.detail).toMatch(/roles must alternate/);
    expect(check.notes.join('\n')).toMatch(/wants alternating roles/);
    expect(modelCheckExitCode(check)).toBe(0);
  });

  it('reports a server that cannot be reached, and skips the probes that need it', async () => {
    const check = await checkModel(configFor(`http://127.0.0.1:${await closedPort()}/v1`), { timeoutMs: 5_000 });

    expect(check.reachable).toBe(false);
    expect(check.runnable).toBe(false);
    expect(modelCheckExitCode(check)).toBe(3);
    expect(check.probes.slice(0, 2).map((p) => [p.status, p.detail])).toEqual([
      ['failed', expect.stringMatching(/cannot connect/)],
      ['failed', expect.stringMatching(/cannot connect/)],
    ]);
    expect(check.probes.slice(2).every((p) => p.status === 'skipped')).toBe(true);
    expect(check.settings).toEqual([]);
    expect(renderModelCheck(check)).toContain('Cannot reach');
  });
});

describe('planwright check-model', () => {
  it('exits 3 when the server cannot be reached, and prints the check as JSON', async () => {
    const url = `http://127.0.0.1:${await closedPort()}/v1`;
    const { code, stdout } = await runCli(['check-model', '--json', '--timeout', '5'], { OPENAI_BASE_URL: url });
    expect(code).toBe(3);
    expect(JSON.parse(stdout)).toMatchObject({ baseURL: url, reachable: false, runnable: false });
  });
});

/** A loopback port nothing listens on. */
async function closedPort(): Promise<number> {
  const server = createServer();
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as { port: number };
  await new Promise<void>((resolve) => server.close(() => resolve()));
  return port;
}

function runCli(args: string[], env: Record<string, string>): Promise<{ code: number | null; stdout: string }> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, ['bin/planwright.js', ...args], {
      env: { ...process.env, ...env },
      stdio: ['ignore', 'pipe', 'inherit'],
    });
    let stdout = '';
    child.stdout.on('data', (chunk: Buffer) => (stdout += chunk.toString('utf8')));
    child.once('error', reject);
    child.once('close', (code) => resolve({ code, stdout }));
  });
}
