/**
 * The test kit: one call gives a Temporal server (time-skipping by default), a scripted model, and a
 * planwright worker running your tools on a task queue of its own, so a test only writes the script, starts
 * runs and checks what they did.
 */
import { randomUUID } from 'node:crypto';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import type { Client } from '@temporalio/client';
import type { Duration } from '@temporalio/common';
import type { TestWorkflowEnvironment } from '@temporalio/testing';
import type { LogLevel, Worker, WorkflowBundleOption } from '@temporalio/worker';
import type { RunInput } from '../contract/run-input.js';
import type { ModelConfig } from '../llm/config.js';
import { createModel } from '../llm/model.js';
import { createFileOutputStore } from '../outputs/file.js';
import type { OutputStore } from '../outputs/store.js';
import { createFilePlanCache, type PlanCache } from '../plan-cache.js';
import { builtinTools } from '../tools/builtin.js';
import type { Tool } from '../tools/define.js';
import { createPlanwrightWorker } from '../worker.js';
import type { planAndExecute } from '../../workflows/index.js';
import { WORKFLOW_TYPE } from '../../workflows/messages.js';
import { TestClock } from './clock.js';
import { bundleWorkflows, quietRuntime, startEnvironment, type TestServer } from './environment.js';
import { startScriptedModel, type Script, type ScriptedModel, type Strictness } from './scripted-model.js';
import { TestRun } from './test-run.js';

/** What {@link startTestKit} takes; every field has a default. */
export interface TestKitOptions {
  /** The worker's tools; default the built-in ones. Pass `[...builtinTools, myTool]` to add yours to them. */
  tools?: readonly Tool[];
  /** The scripted model's answers, per phase (see `plan`, `step`, `replan`, `answer`); more with `kit.script()`. */
  script?: Script;
  /** Default `'time-skipping'`. */
  server?: TestServer;
  /** The folder tools may read and write; default the current directory. */
  workspace?: string;
  /** Where runs with `planCache` keep plans; default a fresh folder of this kit's own, removed at teardown. */
  planCache?: PlanCache;
  /** Where large step outputs go; default a fresh folder of this kit's own, removed at teardown. */
  outputStore?: OutputStore;
  /** Model settings beyond the scripted model's address: output caps, structured output mode, tool calls… */
  model?: Partial<Omit<ModelConfig, 'baseURL'>>;
  /** How strict the scripted model is about requests (see `startScriptedModel`). */
  strict?: Strictness;
  /**
   * Level of the Temporal runtime's logger when the kit installs it (the first kit of a process does, unless
   * you installed one); default `'ERROR'`, so expected failures do not flood the test output.
   */
  logLevel?: LogLevel;
  /** A workflow bundle built beforehand (say, in a global setup); default {@link bundleWorkflows}. */
  workflowBundle?: WorkflowBundleOption;
}

/** A tool call as the kit's worker ran it, with the input after the tool's schema parsed it. */
export interface RecordedToolCall {
  tool: string;
  input: unknown;
}

/** A unique name for a task queue or workflow id. */
export function uniqueId(prefix: string): string {
  return `${prefix}-${randomUUID().slice(0, 8)}`;
}

/** What a kit is made of; see {@link startTestKit}. */
interface Parts {
  env: TestWorkflowEnvironment;
  model: ScriptedModel;
  folder: string;
  taskQueue: string;
  toolCalls: RecordedToolCall[];
  worker: Worker;
}

/**
 * A Temporal server, a scripted model and a planwright worker, ready for runs; see {@link startTestKit}.
 * Dispose of it with `await using` or `teardown()`.
 */
export class TestKit implements AsyncDisposable {
  /** The Temporal test environment (`env.supportsTimeSkipping`, `env.currentTimeMs()`…). */
  readonly env: TestWorkflowEnvironment;
  /** The scripted model: its `requests`, `remaining()`, `assertDone()`. */
  readonly model: ScriptedModel;
  /** The task queue of this kit's worker. */
  readonly taskQueue: string;
  /** Every tool call the worker ran, in order: shows that no finished step ran twice. */
  readonly toolCalls: readonly RecordedToolCall[];
  private readonly parts: Parts;
  private readonly clock: TestClock | undefined;
  private readonly running: Promise<void>;
  private readonly workerFailure: Promise<never>;
  private stopping = false;
  private stopped: Promise<void> | undefined;

  /** @internal Use {@link startTestKit}. */
  constructor(parts: Parts) {
    this.parts = parts;
    ({ env: this.env, model: this.model, taskQueue: this.taskQueue, toolCalls: this.toolCalls } = parts);
    this.clock = parts.env.supportsTimeSkipping ? new TestClock(parts.env) : undefined;
    this.running = parts.worker.run();
    this.workerFailure = new Promise<never>((_, reject) => {
      this.running.then(
        () => this.stopping || reject(new Error('the test kit’s worker stopped before the kit was torn down')),
        (err: Error) => reject(new Error(`the test kit’s worker failed: ${err.message}`, { cause: err })),
      );
    });
    this.workerFailure.catch(() => {}); // runs race it; an unobserved failure must not end the process
  }

  /**
   * A Temporal client connected to the kit's server. On the time-skipping server its `workflow.result()` lets the
   * server skip to any timer it holds until the result comes, even past a run's end; `run.result()` does not.
   */
  get client(): Client {
    return this.env.client;
  }

  /** Adds answers to the scripted model's script. */
  script(script: Script): void {
    this.model.enqueue(script);
  }

  /**
   * Starts a run of `planAndExecute` on the kit's worker, with a unique workflow id unless one is given.
   * @throws {WorkflowExecutionAlreadyStartedError} when `workflowId` names a run that exists.
   * @example
   * const run = await kit.start({ goal: 'Count the tickets', approval: 'plan' });
   */
  async start(input: RunInput, options: { workflowId?: string } = {}): Promise<TestRun> {
    const handle = await this.env.client.workflow.start<typeof planAndExecute>(WORKFLOW_TYPE, {
      taskQueue: this.taskQueue,
      workflowId: options.workflowId ?? uniqueId('run'),
      args: [input],
    });
    return new TestRun(handle, input, this.workerFailure, this.clock);
  }

  /**
   * Moves the server's clock on by `duration` (`'24h'`, `'1 day'`, milliseconds): at once on the time-skipping
   * server, in real time elsewhere.
   * @example await kit.skipTime('24h');
   */
  skipTime(duration: Duration): Promise<void> {
    return this.env.sleep(duration);
  }

  /**
   * Stops the worker, the server and the scripted model, and removes the kit's folder. Safe to call twice.
   * @example afterEach(() => kit.teardown());
   */
  teardown(): Promise<void> {
    this.stopped ??= this.stop();
    return this.stopped;
  }

  /** The same as {@link teardown}, for `await using kit = await startTestKit(...)`. */
  [Symbol.asyncDispose](): Promise<void> {
    return this.teardown();
  }

  private async stop(): Promise<void> {
    this.stopping = true;
    const { worker } = this.parts;
    // The model goes first: a model call that hangs then ends at once, and the worker's shutdown with it.
    await this.model.close().catch(() => {});
    if (worker.getState() === 'RUNNING') worker.shutdown();
    await this.running.catch(() => {});
    await release(this.parts);
  }
}

/** Stops what was started of a kit, in reverse order. */
async function release(parts: Partial<Parts>): Promise<void> {
  await parts.model?.close().catch(() => {});
  await parts.env?.teardown().catch(() => {});
  if (parts.folder) await rm(parts.folder, { recursive: true, force: true }).catch(() => {});
}

/**
 * Starts a test kit: a Temporal server provisioned offline (see the README), the scripted model with
 * `options.script`, and a planwright worker with your tools on a fresh task queue, on the workflow bundle
 * built once per process. Logs are quiet unless `logLevel` says otherwise.
 * @throws {ProvisioningError} when the Temporal server can be neither found nor built.
 * @example
 * await using kit = await startTestKit({
 *   tools: [wordCount],
 *   script: { plan: [plan(step('count', { tool: 'word_count', args: { text: 'a b c' } }))], synthesize: [answer('3 words.')] },
 * });
 * const run = await kit.start({ goal: 'Count the words' });
 * expect((await run.result()).status).toBe('completed');
 */
export async function startTestKit(options: TestKitOptions = {}): Promise<TestKit> {
  quietRuntime(options.logLevel ?? 'ERROR');
  const parts: Partial<Parts> = { toolCalls: [], taskQueue: uniqueId('planwright-test') };
  try {
    // Settled, not raced: whatever started is known, and released, even when another part failed.
    let bundle: WorkflowBundleOption | undefined = options.workflowBundle;
    const started = await Promise.allSettled([
      bundle ?? bundleWorkflows().then((built) => (bundle = built)),
      startEnvironment(options.server ?? 'time-skipping').then((env) => (parts.env = env)),
      startScriptedModel({
        ...(options.script ? { script: options.script } : {}),
        ...(options.strict ? { strict: options.strict } : {}),
      }).then((model) => (parts.model = model)),
      mkdtemp(path.join(tmpdir(), 'planwright-kit-')).then((folder) => (parts.folder = folder)),
    ]);
    const failed = started.find((s) => s.status === 'rejected');
    if (failed) throw failed.reason;
    const { env, model, folder } = parts as Parts;
    parts.worker = await createPlanwrightWorker({
      connection: env.nativeConnection,
      namespace: env.namespace ?? 'default',
      taskQueue: parts.taskQueue!,
      model: createModel({
        apiKey: 'scripted',
        model: 'scripted',
        timeoutMs: 10_000,
        ...options.model,
        baseURL: model.url,
      }),
      tools: recording(options.tools ?? builtinTools, parts.toolCalls!),
      workspace: options.workspace ?? process.cwd(),
      planCache: options.planCache ?? createFilePlanCache(path.join(folder, 'plans')),
      outputStore: options.outputStore ?? createFileOutputStore(path.join(folder, 'outputs')),
      workflowBundle: bundle!,
    });
    return new TestKit(parts as Parts);
  } catch (err) {
    await release(parts);
    throw err;
  }
}

/** The tools, each recording its calls in `calls` before it runs. */
function recording(tools: readonly Tool[], calls: RecordedToolCall[]): Tool[] {
  return tools.map((tool) => ({
    ...tool,
    run: (input: unknown, ctx: Parameters<Tool['run']>[1]) => {
      calls.push({ tool: tool.name, input });
      return tool.run(input, ctx);
    },
  }));
}
