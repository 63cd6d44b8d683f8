/**
 * The console in headless Chromium, against `planwright serve`'s app (with a token) on the embedded dev server and
 * the scripted model: a run started from the console and followed live, its plan approved by a click, the page
 * reloaded mid-run (it resumes after the last offset it read and misses nothing), and a tool call approved with
 * edited arguments. Screenshots (1280×800) go to .planwright/browser/.
 */
import { mkdir, mkdtemp, readFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { serve, type ServerType } from '@hono/node-server';
import type { TestWorkflowEnvironment } from '@temporalio/testing';
import type { Browser, Page } from 'puppeteer-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { freePort } from '../../src/free-port.js';
import { createApi } from '../../src/serve/app.js';
import { parseSse } from '../../src/serve/console/sse.js';
import { startScriptedModel, type Script } from '../../src/testing/scripted-model.js';
import { builtinTools } from '../../src/tools/builtin.js';
import { planReply, replanReply, scriptedModelWorker, waitTool, wireStep } from '../support/e2e.js';
import { devServerEnv, unique } from '../support/temporal.js';
import { launchChromium } from './chromium.js';

const TOKEN = 'console-test-token';
const SHOTS = path.resolve('.planwright/browser');
const auth = { authorization: `Bearer ${TOKEN}` };

let env: TestWorkflowEnvironment;
let browser: Browser;
beforeAll(async () => {
  browser = await launchChromium();
  env = await devServerEnv();
  await mkdir(SHOTS, { recursive: true });
});
afterAll(async () => {
  await browser?.close();
  await env?.teardown();
});

interface Console {
  base: string;
  page: Page;
  /** Errors the page's script threw (none expected). */
  pageErrors: Error[];
}

/** A worker on the scripted model, the API with its console on a free port, and a fresh page, for `body`. */
async function withConsole(script: Script, body: (c: Console) => Promise<void>, workspace?: string): Promise<void> {
  const model = await startScriptedModel({ script });
  const taskQueue = unique('console');
  const worker = await scriptedModelWorker(env, {
    taskQueue,
    url: model.url,
    tools: [...builtinTools, waitTool],
    ...(workspace ? { workspace } : {}),
  });
  const port = await freePort();
  const app = createApi({ client: env.client, taskQueue, token: TOKEN, webUi: 'http://localhost:8233' });
  const server: ServerType = serve({ fetch: app.fetch, hostname: '127.0.0.1', port });
  const page = await browser.newPage();
  const pageErrors: Error[] = [];
  page.on('pageerror', (err) => pageErrors.push(err as Error));
  try {
    await worker.runUntil(body({ base: `http://127.0.0.1:${port}`, page, pageErrors }));
  } finally {
    await page.close();
    await new Promise((r) => server.close(r));
    await model.close();
  }
}

/** Opens the console at `hash` and gives it the token the first time it asks (kept for the tab after). */
async function signIn(page: Page, base: string, hash = '#/'): Promise<void> {
  await page.goto(`${base}/${hash}`);
  await page.waitForSelector('#token');
  await page.type('#token', TOKEN);
  await page.keyboard.press('Enter');
}

/** The whole stream of a run as the API serves it: offset and kind of every event. */
async function streamOf(base: string, workflowId: string): Promise<{ offset: number; kind: string }[]> {
  const response = await fetch(`${base}/runs/${workflowId}/events`, { headers: auth });
  const { messages } = parseSse(await response.text());
  return messages
    .filter((m) => m.event === 'events')
    .map((m) => ({ offset: Number(m.id), kind: (JSON.parse(m.data) as { kind: string; type?: string }).kind }));
}

const shot = (page: Page, name: string) => page.screenshot({ path: path.join(SHOTS, `${name}.png`) });
const markOf = (page: Page, stepId: string) =>
  page.$eval(`tr[data-step="${stepId}"]`, (row) => row.getAttribute('data-mark'));

describe('the console', () => {
  it('starts a run, takes the plan approval by a click, follows the steps live, and resumes after a reload', async () => {
    const ms = 2000;
    const script: Script = {
      plan: [
        planReply(
          wireStep('fetch_tickets', 'wait', { label: 'a', ms }, { title: 'Fetch last week’s tickets' }),
          wireStep(
            'count',
            'wait',
            { label: 'b', ms },
            { dependsOn: ['fetch_tickets'], title: 'Count tickets by team' },
          ),
          wireStep(
            'top_issues',
            'wait',
            { label: 'c', ms },
            { dependsOn: ['fetch_tickets'], title: 'Find the top issues' },
          ),
          wireStep(
            'report',
            'wait',
            { label: 'd', ms },
            { dependsOn: ['count', 'top_issues'], title: 'Write the report' },
          ),
        ),
      ],
      synthesize: [{ content: 'Weekly report: 42 tickets, most about billing (17).' }],
    };
    await withConsole(script, async ({ base, page, pageErrors }) => {
      const eventRequests: (string | undefined)[] = [];
      page.on('request', (r) => {
        if (r.url().endsWith('/events')) eventRequests.push(r.headers()['last-event-id']);
      });
      await signIn(page, base);
      await page.waitForSelector('#goal');
      await page.type('#goal', 'Write the weekly support report');
      await page.select('#approval', 'plan');
      await page.click('form.start button[type=submit]');
      await page.waitForFunction('location.hash.startsWith("#/runs/")');
      const workflowId = decodeURIComponent(new URL(page.url()).hash.slice('#/runs/'.length));

      // The plan waits for approval: drawn as a graph of its four steps, with the buttons that answer.
      await page.waitForSelector('.wait[data-asked="plan-approval"] button.approve');
      expect(await page.$$eval('svg.plan-graph g[data-step]', (nodes) => nodes.length)).toBe(4);
      expect(await page.$eval('[data-testid=run-status]', (e) => e.textContent)).toBe('awaiting-approval');
      await shot(page, 'plan-approval');
      await page.click('.wait[data-asked="plan-approval"] button.approve');
      await page.waitForSelector('.wait[data-asked="plan-approval"]', { hidden: true });

      // Live: the first step runs, then succeeds; the next ones start.
      await page.waitForSelector('g[data-step="fetch_tickets"].step-running');
      expect(await markOf(page, 'count')).toBe('pending');
      await page.waitForSelector('g[data-step="fetch_tickets"].step-succeeded');
      await page.waitForSelector('g[data-step="count"].step-running');
      await shot(page, 'running');

      // Reloaded mid-run: the page asks for what came after the last offset it had read, and goes on.
      const lastBefore = await page.$$eval('[data-testid=log] tr', (rows) =>
        Number(rows.at(-1)?.getAttribute('data-offset')),
      );
      expect(lastBefore).toBeGreaterThan(0);
      const requestsBefore = eventRequests.length;
      await page.reload();
      await page.waitForSelector('[data-testid=run-status][data-status="completed"]', { timeout: 60_000 });
      expect(eventRequests[requestsBefore]).toBe(String(lastBefore));
      expect(await page.$eval('.answer', (e) => e.textContent)).toBe(
        'Weekly report: 42 tickets, most about billing (17).',
      );
      for (const step of ['fetch_tickets', 'count', 'top_issues', 'report'])
        expect(await markOf(page, step)).toBe('succeeded');

      // Nothing missed, nothing twice: the page's event log is the run's whole stream.
      const logged = await page.$$eval('[data-testid=log] tr', (rows) =>
        rows.map((r) => ({
          offset: Number(r.getAttribute('data-offset')),
          kind: r.querySelector('code')?.textContent ?? '',
        })),
      );
      expect(logged).toEqual(await streamOf(base, workflowId));
      expect(logged.map((l) => l.kind)).toContain('plan-approved');
      // The graph's steps are reached with the keyboard, and Enter on one moves to its row of the steps table.
      await page.$eval('svg.plan-graph g[data-step="top_issues"]', (node) =>
        (node as unknown as { focus(): void }).focus(),
      );
      await page.keyboard.press('Enter');
      expect(await page.evaluate('document.activeElement.dataset.step')).toBe('top_issues');
      await page.keyboard.down('Shift');
      await page.keyboard.press('Tab');
      await page.keyboard.up('Shift');
      await shot(page, 'console');

      // The runs page lists it under its status, with a link to the Temporal Web UI.
      await page.click('a.back');
      await page.waitForSelector('#status-filter');
      await page.select('#status-filter', 'completed');
      await page.waitForSelector(`tr[data-run="${workflowId}"]`);
      expect(await page.$$eval('[data-testid=runs] .pill', (pills) => pills.map((p) => p.textContent))).not.toContain(
        'running',
      );
      expect(await page.$eval(`tr[data-run="${workflowId}"] a[target=_blank]`, (a) => a.getAttribute('href'))).toBe(
        `http://localhost:8233/namespaces/default/workflows/${workflowId}`,
      );
      await shot(page, 'runs');
      expect(pageErrors).toEqual([]);
    });
  });

  it('shows a refused decision as its message, and approves a tool call with edited arguments from the keyboard', async () => {
    const workspace = await mkdtemp(path.join(tmpdir(), 'pw-console-'));
    const script: Script = {
      plan: [
        planReply(
          wireStep('save', 'write_file', { path: 'draft.txt', content: 'first draft' }, { title: 'Save the draft' }),
        ),
      ],
      synthesize: [{ content: 'Saved the reviewed draft.' }],
    };
    await withConsole(
      script,
      async ({ base, page, pageErrors }) => {
        const workflowId = unique('console-call');
        const started = await fetch(`${base}/runs`, {
          method: 'POST',
          headers: { ...auth, 'content-type': 'application/json' },
          body: JSON.stringify({ id: workflowId, goal: 'Save the draft', approveTools: ['write_file'] }),
        });
        expect(started.status).toBe(201);
        await signIn(page, base, `#/runs/${workflowId}`);
        const card = '.wait[data-asked="tool-call-approval"]';
        await page.waitForSelector(`${card} textarea`);
        expect(
          JSON.parse(await page.$eval(`${card} textarea`, (t) => (t as unknown as { value: string }).value)),
        ).toEqual({
          path: 'draft.txt',
          content: 'first draft',
        });

        // Rejecting without a reason: the API's problem detail is shown where the person acted.
        await page.click(`${card} button.reject`);
        await page.waitForSelector(`${card} .error:not(:empty)`);
        expect(await page.$eval(`${card} .error`, (e) => e.textContent)).toBe('rejecting a tool call needs a "reason"');

        await page.click(`${card} textarea`);
        await page.keyboard.down('Control');
        await page.keyboard.press('KeyA');
        await page.keyboard.up('Control');
        await page.keyboard.type('{"path": "reviewed.txt", "content": "reviewed draft"}');
        await shot(page, 'tool-call');
        await page.focus(`${card} button.approve`);
        await page.keyboard.press('Enter');
        await page.waitForSelector('[data-testid=run-status][data-status="completed"]', { timeout: 60_000 });
        expect(await readFile(path.join(workspace, 'reviewed.txt'), 'utf8')).toBe('reviewed draft');
        expect(await page.$(card)).toBeNull();
        expect(pageErrors).toEqual([]);
      },
      workspace,
    );
  });

  it('shows a replan as a new plan version with its diff, keeping the step that had finished', async () => {
    const file = 'support-tickets.csv';
    const script: Script = {
      plan: [
        planReply(
          wireStep('total', 'data_query', { file }, { title: 'Count all tickets' }),
          wireStep(
            'per_intent',
            'data_query',
            { file: 'intents.csv' },
            { dependsOn: ['total'], title: 'Count by intent' },
          ),
        ),
      ],
      replan: [
        replanReply({
          action: 'revise',
          reason: 'intents.csv does not exist; group the tickets file instead',
          steps: [
            wireStep(
              'per_intent_v2',
              'data_query',
              { file, groupBy: 'intent', limit: 1 },
              { dependsOn: ['total'], title: 'Group tickets by intent' },
            ),
            wireStep(
              'summary',
              'wait',
              { label: 'summary', ms: 300 },
              { dependsOn: ['per_intent_v2'], title: 'Sum up the top intent' },
            ),
          ],
        }),
      ],
      synthesize: [{ content: 'Top intent: billing.' }],
    };
    await withConsole(script, async ({ base, page, pageErrors }) => {
      const workflowId = unique('console-replan');
      await fetch(`${base}/runs`, {
        method: 'POST',
        headers: { ...auth, 'content-type': 'application/json' },
        body: JSON.stringify({ id: workflowId, goal: 'Find the top intent of the tickets' }),
      });
      await signIn(page, base, `#/runs/${workflowId}`);
      await page.waitForSelector('[data-testid=run-status][data-status="completed"]', { timeout: 60_000 });
      await shot(page, 'replan');
      const versions = await page.$$eval('[data-testid=versions] li', (items) => items.map((li) => li.textContent));
      expect(versions).toHaveLength(2);
      expect(versions[1]).toContain('v2');
      expect(
        await page.$$eval('[data-testid=versions] li:nth-child(2) .diff span', (spans) =>
          spans.map((x) => x.textContent),
        ),
      ).toEqual(['+ per_intent_v2', '+ summary', '− per_intent']);
      expect(await page.$eval('g[data-step="per_intent_v2"]', (g) => g.getAttribute('class'))).toContain(
        'change-added',
      );
      expect(
        await page.$$eval('tr[data-step]', (rows) =>
          rows.map((r) => [r.getAttribute('data-step'), r.getAttribute('data-mark')]),
        ),
      ).toEqual([
        ['total', 'succeeded'],
        ['per_intent_v2', 'succeeded'],
        ['summary', 'succeeded'],
      ]);
      expect(pageErrors).toEqual([]);
    });
  });
});
