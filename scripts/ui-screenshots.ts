/**
 * Screenshots of the Temporal Web UI showing planwright runs of every kind, to check what people see there
 * (the Current Details above all). Starts the embedded dev server with its Web UI, one worker per run on the
 * scripted model, runs them (two are left waiting for a person), and has headless Chromium take the pictures.
 *
 *   node --import tsx scripts/ui-screenshots.ts [outDir] [--keep]     (default .planwright/screenshots/)
 *
 * For each run it writes `<run>-details.png` (the run's "User Metadata" tab, where the UI shows the Current
 * Details), `<run>-details-panel.png` (that panel alone, full size) and `<run>-history.png` (the History tab,
 * which does not show them); then `workflows-list.png`. It prints, per run, whether the Current Details
 * frame is tall enough for its text. `--keep` keeps the server, its Web UI and the workers up afterwards,
 * until Ctrl-C. Chromium is driven over the DevTools protocol (scripts/chromium.ts), not with `--screenshot
 * --virtual-time-budget`, which never returns on the page of a waiting run.
 *
 * Exits 2 when Chromium is missing (`apt-get install -y chromium`), 1 when a run does not go as scripted or a
 * picture could not be taken.
 */
import { existsSync } from 'node:fs';
import { mkdir, mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import type { WorkflowHandle } from '@temporalio/client';
import { DefaultLogger, Runtime, bundleWorkflowCode, type Worker } from '@temporalio/worker';
import { z } from 'zod';
import type { RunInput } from '../src/contract/run-input.js';
import type { RunState } from '../src/contract/run-state.js';
import { DEMO_GOAL, DEMO_WORKSPACE, demoScript } from '../src/demo/support-report.js';
import { freePort } from '../src/free-port.js';
import { createModel } from '../src/llm/model.js';
import { startLocalTemporal, type LocalTemporal } from '../src/temporal/local-server.js';
import {
  startScriptedModel,
  type RecordedRequest,
  type Script,
  type ScriptedModel,
} from '../src/testing/scripted-model.js';
import { builtinTools } from '../src/tools/builtin.js';
import { defineTool, ToolError } from '../src/tools/define.js';
import { WORKFLOW_BUNDLE_OPTIONS, createPlanwrightWorker } from '../src/worker.js';
import type { planAndExecute } from '../workflows/index.js';
import { WORKFLOW_TYPE, changeGoalUpdate, stateQuery } from '../workflows/messages.js';
import { launchChromium, type Chromium } from './chromium.js';

const CHROMIUM = process.env.CHROMIUM_PATH ?? '/usr/bin/chromium';
const FILE = 'support-tickets.csv';
/** The browser window the pictures are taken in. */
const SIZE = { width: 1400, height: 1800 };

/** A tool that takes a known time, so a goal can change while it runs. */
const waitTool = defineTool({
  name: 'wait',
  description: 'Waits for the given number of milliseconds, then returns the label.',
  input: z.object({ label: z.string(), ms: z.number().int().min(0).max(60_000) }),
  async run({ label, ms }, ctx) {
    const started = Date.now();
    while (Date.now() - started < ms) {
      if (ctx.signal.aborted) throw new ToolError(`cancelled while waiting (${label})`, false);
      await new Promise((r) => setTimeout(r, Math.min(100, ms)));
    }
    return { label, waited: Date.now() - started };
  },
});

/** A step as the scripted planner writes it. */
function wireStep(
  id: string,
  tool: string,
  args: object,
  options: { dependsOn?: string[]; title?: string; critical?: boolean } = {},
) {
  return {
    id,
    title: options.title ?? id.replace(/_/g, ' '),
    description: null,
    dependsOn: options.dependsOn ?? [],
    tool,
    args: JSON.stringify(args),
    successCriterion: null,
    critical: options.critical ?? null,
    fallback: null,
  };
}
const plan = (...steps: object[]) => ({ content: { rationale: null, steps } });
const replan = (action: 'continue' | 'revise', reason: string, steps: ReturnType<typeof wireStep>[] | null = null) => ({
  content: { action, reason, answer: null, steps },
});
const count = (id: string, title: string, args: object = {}, dependsOn: string[] = []) =>
  wireStep(id, 'data_query', { file: FILE, ...args }, { title, dependsOn });
/** A sub-goal step as the scripted planner writes it. */
const subgoalStep = (id: string, title: string, goal: string, dependsOn: string[] = []) => ({
  ...wireStep(id, 'calculator', {}, { title, dependsOn }),
  tool: null,
  args: null,
  subgoal: goal,
});

const TOP_INTENT = 'Find the top three intents of this week’s tickets and their satisfaction';
/** The sub-goal scenario's planner: the parent's plan, or its child's, by the goal it is asked about. */
const planByGoal = (request: RecordedRequest) =>
  JSON.stringify(request.messages).includes(TOP_INTENT)
    ? plan(
        count('per_intent', 'Count tickets per intent', { groupBy: 'intent', limit: 3 }),
        count('csat', 'Average satisfaction', { aggregate: { op: 'avg', field: 'csat' } }),
      )
    : plan(
        count('week_total', 'Count this week’s tickets'),
        subgoalStep('top_intents', 'Size the top intents', TOP_INTENT, ['week_total']),
      );

/** One run to photograph: its script and input, what to do while it runs, and whether to wait for its end. */
interface Scenario {
  name: string;
  summary: string;
  script: Script;
  input: RunInput;
  /** Acts on the run while it runs (signals, updates). */
  during?: (handle: WorkflowHandle<typeof planAndExecute>) => Promise<void>;
  /** The run is photographed once its state passes this test; by default once it has ended. */
  ready?: (state: RunState) => boolean;
}

const SCENARIOS: Scenario[] = [
  {
    name: 'completed',
    summary: 'Weekly customer-support report',
    script: demoScript(),
    input: { goal: DEMO_GOAL },
  },
  {
    name: 'partial',
    summary: 'A step fails for good; replans run out',
    script: {
      plan: [
        plan(
          count('week_total', 'Count this week’s tickets'),
          count('per_intent', 'Count tickets per intent', { groupBy: 'intent' }),
          count('last_year', 'Count last year’s tickets', { file: 'last-year.csv' }, ['week_total']),
          count('refunds', 'Count refund tickets', {
            filter: [{ field: 'intent', op: 'eq', value: 'billing_refund' }],
          }),
          count('csat', 'Average satisfaction', { aggregate: { op: 'avg', field: 'csat' } }),
        ),
      ],
      replan: [replan('continue', 'last-year.csv may appear after the nightly export; try the step again')],
      synthesize: [{ content: 'This week: 318 tickets. Last year’s numbers are not available.' }],
    },
    input: { goal: 'Compare this week’s ticket count with last year’s', maxReplans: 1, maxParallel: 1 },
  },
  {
    name: 'replanned',
    summary: 'A failed step replaced by the replanner',
    script: {
      plan: [
        plan(
          count('total', 'Count all tickets'),
          count('per_intent', 'Count tickets per intent', { file: 'intents.csv' }, ['total']),
        ),
      ],
      replan: [
        replan('revise', 'intents.csv does not exist; group the tickets file by intent instead', [
          count('per_intent_v2', 'Count tickets per intent', { groupBy: 'intent', limit: 3 }, ['total']),
        ]),
      ],
      synthesize: [{ content: 'Billing refunds lead with 97 of 318 tickets.' }],
    },
    input: { goal: 'Find the top intent of this week’s tickets' },
  },
  {
    name: 'goal-changed',
    summary: 'The goal changed mid-run',
    script: {
      plan: [
        plan(
          wireStep('warm_up', 'wait', { label: 'warm_up', ms: 3000 }, { title: 'Load the week’s tickets' }),
          count('total', 'Count all tickets', {}, ['warm_up']),
        ),
      ],
      replan: [
        replan('revise', 'the new goal needs the tickets per channel, not the total', [
          count('per_channel', 'Count tickets per channel', { groupBy: 'channel' }, ['warm_up']),
        ]),
      ],
      synthesize: [{ content: 'Tickets per channel: email leads.' }],
    },
    input: { goal: 'Count this week’s tickets' },
    during: async (handle) => {
      await until(handle, (s) => s.steps[0]?.status === 'running');
      await handle.executeUpdate(changeGoalUpdate, {
        args: [{ goal: 'Count this week’s tickets per channel', reason: 'the channel team asked' }],
      });
    },
  },
  {
    name: 'many-steps',
    summary: '40 steps, one fails with no replans left',
    script: {
      plan: [
        plan(
          ...Array.from({ length: 40 }, (_, i) =>
            i === 27
              ? count(`day_${i + 1}`, `Count tickets of day ${i + 1}`, { file: `day-${i + 1}.csv` })
              : wireStep(
                  `day_${i + 1}`,
                  'calculator',
                  { expression: `${i + 1} * 8` },
                  { title: `Tickets of day ${i + 1}` },
                ),
          ),
        ),
      ],
      synthesize: [{ content: 'Days 1 to 27 are counted; day 28 is missing.' }],
    },
    input: { goal: 'Count the tickets of each of the last 40 days', maxSteps: 40, maxReplans: 0, maxParallel: 2 },
  },
  {
    name: 'subgoal',
    summary: 'A step that runs as a sub-goal of its own',
    script: {
      plan: [planByGoal, planByGoal],
      synthesize: [
        { content: 'Billing refunds, shipping delays and login problems lead; satisfaction averages 3.9.' },
        { content: '318 tickets this week; the top three intents make up 61 % of them.' },
      ],
    },
    input: { goal: 'Weekly support review with the top intents sized', subgoals: { maxDepth: 1 } },
  },
  {
    name: 'awaiting-approval',
    summary: 'A plan waits for approval',
    script: {
      plan: [
        plan(
          count('week_total', 'Count this week’s tickets'),
          count('per_intent', 'Count tickets per intent', { groupBy: 'intent', limit: 5 }),
          count(
            'top_csat',
            'Satisfaction of the top intent',
            {
              filter: [{ field: 'intent', op: 'eq', value: '{{per_intent.groups.0.key}}' }],
              aggregate: { op: 'avg', field: 'csat' },
            },
            ['per_intent'],
          ),
          wireStep(
            'share',
            'calculator',
            { expression: 'round({{per_intent.groups.0.value}} / {{week_total.value}} * 100, 1)' },
            { title: 'Share of the top intent (%)', dependsOn: ['week_total', 'per_intent'] },
          ),
        ),
      ],
    },
    input: { goal: 'Size the top intent of this week’s tickets', approval: 'plan' },
    ready: (s) => s.status === 'awaiting-approval',
  },
  {
    name: 'escalated',
    summary: 'A failed step waits for a person’s decision',
    script: {
      plan: [
        plan(
          count('week_total', 'Count this week’s tickets'),
          count('last_year', 'Count last year’s tickets', { file: 'last-year.csv' }),
          count('per_intent', 'Count tickets per intent', { groupBy: 'intent' }, ['week_total']),
        ),
      ],
    },
    input: { goal: 'Compare this week’s ticket count with last year’s', escalation: 'human', maxParallel: 1 },
    ready: (s) => s.status === 'awaiting-decision',
  },
];

/** Polls the run's state until it passes `predicate`. @throws {Error} after 60 s. */
async function until(handle: WorkflowHandle<typeof planAndExecute>, predicate: (s: RunState) => boolean) {
  for (let i = 0; i < 600; i++) {
    const state = await handle.query(stateQuery).catch(() => undefined);
    if (state && predicate(state)) return state;
    await new Promise((r) => setTimeout(r, 100));
  }
  throw new Error(`run ${handle.workflowId} never reached the expected state`);
}

/** How the Current Details frame fits its text: its height, and where the text's last line ends in it. */
interface Fit {
  frame: number;
  text: number;
}

/** Locates the Current Details panel and measures its frame (page script; undefined on other pages). */
const MEASURE = `(() => {
  const heading = [...document.querySelectorAll('h3')].find((h) => h.textContent.trim() === 'Current Details');
  const panel = heading?.closest('.border-l');
  const frame = panel?.querySelector('iframe[title=output]');
  if (!panel || !frame) return undefined;
  const blocks = [...frame.contentDocument.querySelectorAll('main > *')].filter((e) => e.textContent.trim() !== '');
  const last = blocks.at(-1);
  const rect = panel.getBoundingClientRect();
  return {
    panel: { x: rect.x, y: rect.y + window.scrollY, width: rect.width, height: rect.height },
    fit: { frame: frame.clientHeight, text: Math.ceil(last ? last.getBoundingClientRect().bottom : 0) },
  };
})()`;

/**
 * Saves a PNG of a page of the UI once `ready` holds (the UI is a single-page app that loads in steps), and,
 * on a run's User Metadata tab, a PNG of the Current Details panel alone (`-panel.png`) at full size.
 */
async function screenshot(chromium: Chromium, url: string, file: string, ready: string): Promise<Fit | undefined> {
  const tab = await chromium.open(url, SIZE);
  try {
    await tab.waitFor(ready, 30_000);
    await new Promise((r) => setTimeout(r, 1500)); // let transitions end and frames resize
    await tab.screenshot(file);
    const found = await tab.evaluate<{ panel: { x: number; y: number; width: number; height: number }; fit: Fit }>(
      MEASURE,
    );
    if (!found) return undefined;
    await tab.screenshot(file.replace(/\.png$/, '-panel.png'), found.panel);
    return found.fit;
  } finally {
    await tab.close();
  }
}

/** The run's user metadata tab has loaded both frames (summary, current details) and sized them. */
const CURRENT_DETAILS_LOADED = `[...document.querySelectorAll('iframe[title=output]')].filter((f) => f.height).length >= 2`;
/** The run's history has loaded. */
const HISTORY_LOADED = `document.body.innerText.includes('Event History') && document.querySelector('table tbody tr')`;
/** The list of workflows has loaded. */
const LIST_LOADED = `document.querySelectorAll('table tbody tr').length > 0`;

/** A run in progress: its worker, model and handle. */
interface Started {
  scenario: Scenario;
  handle: WorkflowHandle<typeof planAndExecute>;
  runId: string;
  worker: Worker;
  running: Promise<void>;
  model: ScriptedModel;
}

async function main(): Promise<number> {
  const args = process.argv.slice(2);
  const keep = args.includes('--keep');
  const outDir = path.resolve(args.find((a) => !a.startsWith('--')) ?? '.planwright/screenshots');
  if (!existsSync(CHROMIUM)) {
    console.error(`No Chromium at ${CHROMIUM}. Install it with: apt-get install -y chromium (or set CHROMIUM_PATH)`);
    return 2;
  }
  await mkdir(outDir, { recursive: true });
  Runtime.install({ logger: new DefaultLogger('WARN') });
  const uiPort = await freePort(8233);
  const port = await freePort();
  console.log('Starting the dev server and bundling the workflows…');
  const [temporal, bundle] = await Promise.all([
    startLocalTemporal({ port, uiPort }),
    bundleWorkflowCode({ ...WORKFLOW_BUNDLE_OPTIONS, logger: new DefaultLogger('WARN') }),
  ]);
  const uiUrl = `http://127.0.0.1:${uiPort}`;
  console.log(`Temporal ${temporal.address} · Web UI ${uiUrl}`);
  const started: Started[] = [];
  const profile = await mkdtemp(path.join(tmpdir(), 'pw-chromium-'));
  try {
    for (const scenario of SCENARIOS) started.push(await startRun(temporal, bundle.code, scenario));
    const chromium = await launchChromium(CHROMIUM, profile);
    const pages = [
      ...started.flatMap(({ scenario, handle, runId }) => {
        const base = `${uiUrl}/namespaces/default/workflows/${encodeURIComponent(handle.workflowId)}/${runId}`;
        return [
          // The Current Details are on the run's "User Metadata" tab, next to its summary.
          { file: `${scenario.name}-details.png`, url: `${base}/user-metadata`, ready: CURRENT_DETAILS_LOADED },
          { file: `${scenario.name}-history.png`, url: `${base}/history`, ready: HISTORY_LOADED },
        ];
      }),
      { file: 'workflows-list.png', url: `${uiUrl}/namespaces/default/workflows`, ready: LIST_LOADED },
    ];
    let failed = 0;
    try {
      for (const { file, url, ready } of pages) {
        const out = path.join(outDir, file);
        try {
          const fit = await screenshot(chromium, url, out, ready);
          const note = fit
            ? ` · Current Details: text ends at ${fit.text} px of a ${fit.frame} px frame${fit.text > fit.frame ? ' (CUT OFF)' : ''}`
            : '';
          console.log(`wrote ${path.relative(process.cwd(), out)}${note}`);
        } catch (err) {
          failed++;
          console.error(`no screenshot of ${url}: ${(err as Error).message}`);
        }
      }
    } finally {
      await chromium.close();
    }
    if (keep) {
      console.log(`Keeping ${uiUrl} up; Ctrl-C stops it.`);
      await new Promise((resolve) => process.once('SIGINT', resolve).once('SIGTERM', resolve));
    }
    return failed === 0 ? 0 : 1;
  } finally {
    for (const { worker } of started) if (worker.getState() === 'RUNNING') worker.shutdown();
    await Promise.allSettled(started.map((s) => s.running));
    await Promise.allSettled(started.map((s) => s.model.close()));
    await temporal.stop();
    await rm(profile, { recursive: true, force: true });
  }
}

/** Starts a scenario's model, worker and run, and waits until the run is ready to be photographed. */
async function startRun(temporal: LocalTemporal, code: string, scenario: Scenario): Promise<Started> {
  const model = await startScriptedModel({ script: scenario.script });
  const taskQueue = `ui-${scenario.name}`;
  const worker = await createPlanwrightWorker({
    connection: temporal.env.nativeConnection,
    namespace: 'default',
    taskQueue,
    model: createModel({ apiKey: 'scripted', baseURL: model.url, model: 'scripted', timeoutMs: 10_000 }),
    tools: [...builtinTools, waitTool],
    workspace: DEMO_WORKSPACE,
    planCache: { get: async () => undefined, set: async () => {} },
    workflowBundle: { code },
  });
  const running = worker.run();
  const handle = await temporal.env.client.workflow.start<typeof planAndExecute>(WORKFLOW_TYPE, {
    taskQueue,
    workflowId: `${scenario.name}-${Date.now().toString(36)}`,
    args: [scenario.input],
    staticSummary: scenario.summary,
  });
  await scenario.during?.(handle);
  const state = scenario.ready ? await until(handle, scenario.ready) : await handle.result();
  console.log(`${scenario.name}: ${state.status} (${handle.workflowId})`);
  model.assertDone();
  return { scenario, handle, runId: handle.firstExecutionRunId, worker, running, model };
}

process.exitCode = await main().catch((err: unknown) => {
  console.error(err);
  return 1;
});
