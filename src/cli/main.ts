/**
 * The `planwright` command line. Exit codes: 0 run completed (or command done), 1 run ended otherwise,
 * 2 usage error, 3 cannot reach Temporal or the model.
 */
import { parseArgs } from 'node:util';
import { WorkflowNotFoundError, WorkflowUpdateFailedError, type Client, type WorkflowHandle } from '@temporalio/client';
import { isOutputRef } from '../contract/output.js';
import type { Json } from '../contract/plan.js';
import { openOutputStore, outputStoreSettings } from '../outputs/config.js';
import { createOutputKeeper } from '../outputs/keeper.js';
import { InvalidRunInputError, parseRunInput, type RunInput } from '../contract/run-input.js';
import type { RunState } from '../contract/run-state.js';
import { createModel, modelConfigFromEnv } from '../llm/model.js';
import { DEFAULT_PROBE_TIMEOUT_MS, checkModel, modelCheckExitCode, renderModelCheck } from '../llm/check-model.js';
import { startLocalTemporal } from '../temporal/local-server.js';
import { ProvisioningError, provisionServers } from '../temporal/provision.js';
import {
  connectClient,
  connectWorker,
  temporalConfigFromEnv,
  TemporalUnreachableError,
  type TemporalConfig,
} from '../temporal/connection.js';
import { DefaultLogger, Runtime } from '@temporalio/worker';
import { createPlanwrightWorker, loadTools, ToolModuleError } from '../worker.js';
import { toolInfo } from '../tools/define.js';
import { runDemo } from './demo.js';
import { followRun, renderPlan, renderSummary } from './render.js';
import type { planAndExecute } from '../../workflows/index.js';
import {
  WORKFLOW_TYPE,
  approvePlanUpdate,
  changeGoalUpdate,
  rejectPlanUpdate,
  resolveEscalationUpdate,
  stateQuery,
} from '../../workflows/messages.js';

/** Thrown when the run refuses a decision (stale plan version, no such escalation); exit code 1. */
class RefusedError extends Error {
  override readonly name = 'RefusedError';
}

/** Sends a decision as an update, so a refusal comes back at once with its reason. */
async function decide(send: () => Promise<unknown>): Promise<void> {
  try {
    await send();
  } catch (err) {
    if (err instanceof WorkflowUpdateFailedError)
      throw new RefusedError(`refused: ${err.cause?.message ?? err.message}`);
    throw err;
  }
}

/** Thrown for a command line that cannot be run as given; exit code 2. */
class UsageError extends Error {
  override readonly name = 'UsageError';
}

const USAGE = `planwright — durable plan-and-execute agents on Temporal

Usage: planwright <command> [options]

  demo [--keep] [--ui-port N]      run the weekly support-report demo on the embedded dev server
  dev [--port N] [--ui-port N]     start the embedded dev server (with Web UI) and a worker
  worker                           run a worker against TEMPORAL_ADDRESS
  start <goal> [--approval none|plan|replans] [--context TEXT] [--max-parallel N]
               [--max-steps N] [--step-timeout DUR] [--id ID] [--wait]
  approve <id> [--version N]       approve the plan awaiting approval
  reject <id> --feedback TEXT [--version N]
  change-goal <id> <new goal> [--reason TEXT]
  resolve <id> <step> retry|skip|replan|abort [--note TEXT]
                                   decide about a step escalated to a person
  status <id>                      the run's state
  watch <id>                       follow a run until it ends
  result <id> [--output STEP]      wait for a run's result and print its answer; with --output, print
                                   that step's whole output (from the output store when it is large)
  list                             recent runs
  cancel <id>                      cancel a run
  provision                        fetch or build the Temporal servers into the cache
  check-model [--timeout SECONDS]  probe the model server (OPENAI_BASE_URL) and print the settings it needs

Options: --json prints machine-readable output.
Environment: TEMPORAL_ADDRESS (default localhost:7233), TEMPORAL_NAMESPACE, TEMPORAL_API_KEY, TEMPORAL_TLS_CERT,
TEMPORAL_TLS_KEY, PLANWRIGHT_TASK_QUEUE, OPENAI_API_KEY, OPENAI_BASE_URL, PLANWRIGHT_MODEL, PLANWRIGHT_TOOLS,
PLANWRIGHT_WORKSPACE.`;

const print = (line: string) => process.stdout.write(`${line}\n`);

function withAddress(config: TemporalConfig): TemporalConfig & { address: string } {
  return { ...config, address: config.address ?? 'localhost:7233' };
}

function exitCodeOf(state: RunState): number {
  return state.status === 'completed' ? 0 : 1;
}

async function client(): Promise<{ client: Client; config: TemporalConfig & { address: string } }> {
  const config = withAddress(temporalConfigFromEnv());
  return { client: await connectClient(config), config };
}

function one(positionals: string[], what: string): string {
  const [value] = positionals;
  if (!value) throw new UsageError(`missing ${what}`);
  return value;
}

function integer(value: string | undefined, name: string): number | undefined {
  if (value === undefined) return undefined;
  const n = Number(value);
  if (!Number.isInteger(n)) throw new UsageError(`--${name} expects a whole number, got "${value}"`);
  return n;
}

/** Installs the SDK runtime with this logger, unless the process (a test, an embedding program) already has. */
function installRuntime(logger: DefaultLogger): void {
  try {
    Runtime.install({ logger });
  } catch (err) {
    if ((err as Error).name !== 'IllegalStateError') throw err;
  }
}

/** Runs the command line; resolves to the process exit code. */
export async function main(argv: string[]): Promise<number> {
  const [command, ...rest] = argv;
  const { values, positionals } = parseArgs({
    args: rest,
    allowPositionals: true,
    options: {
      json: { type: 'boolean', default: false },
      keep: { type: 'boolean', default: false },
      wait: { type: 'boolean', default: false },
      'ui-port': { type: 'string' },
      port: { type: 'string' },
      approval: { type: 'string' },
      context: { type: 'string' },
      'max-parallel': { type: 'string' },
      'max-steps': { type: 'string' },
      'step-timeout': { type: 'string' },
      id: { type: 'string' },
      version: { type: 'string' },
      feedback: { type: 'string' },
      reason: { type: 'string' },
      note: { type: 'string' },
      output: { type: 'string' },
      timeout: { type: 'string' },
      help: { type: 'boolean', short: 'h', default: false },
    },
  });
  const json = values.json;
  // The demo and one-shot commands keep the terminal for the run itself; workers log what they do.
  installRuntime(new DefaultLogger(command === 'worker' || command === 'dev' ? 'INFO' : 'WARN'));
  const out = (human: string, data: unknown) => print(json ? JSON.stringify(data, null, 2) : human);

  switch (command) {
    case undefined:
    case 'help':
    case '--help':
    case '-h':
      print(USAGE);
      return 0;

    case 'demo': {
      const uiPort = integer(values['ui-port'], 'ui-port');
      const state = await runDemo({ keep: values.keep, print: json ? () => {} : print, ...(uiPort ? { uiPort } : {}) });
      if (json) out('', state);
      return exitCodeOf(state);
    }

    case 'provision': {
      const paths = await provisionServers();
      out(`dev server: ${paths.devServer}\ntime-skipping test server: ${paths.testServer}`, paths);
      return 0;
    }

    case 'check-model': {
      const timeoutMs = values.timeout === undefined ? DEFAULT_PROBE_TIMEOUT_MS : Number(values.timeout) * 1000;
      if (!(timeoutMs > 0)) throw new UsageError(`--timeout expects seconds, got "${values.timeout}"`);
      const progress = !json && process.stderr.isTTY;
      const tools = (await loadTools()).map(toolInfo);
      const check = await checkModel(modelConfigFromEnv(), {
        timeoutMs,
        tools,
        ...(progress ? { onProbe: (p) => process.stderr.write(`  ${p.title}: ${p.status}\n`) } : {}),
      });
      out(renderModelCheck(check), check);
      return modelCheckExitCode(check);
    }

    case 'dev': {
      const port = integer(values.port, 'port') ?? 7233;
      const uiPort = integer(values['ui-port'], 'ui-port') ?? port + 1000;
      const config = temporalConfigFromEnv();
      const temporal = await startLocalTemporal({ port, uiPort });
      print(`Temporal dev server: ${temporal.address} · Web UI: ${temporal.uiUrl}`);
      const worker = await createPlanwrightWorker({
        connection: temporal.env.nativeConnection,
        namespace: 'default',
        taskQueue: config.taskQueue,
        model: createModel(modelConfigFromEnv()),
        tools: await loadTools(),
      });
      print(`Worker polling task queue "${config.taskQueue}". Press Ctrl-C to stop.`);
      process.once('SIGINT', () => worker.shutdown());
      await worker.run();
      await temporal.stop();
      return 0;
    }

    case 'worker': {
      const config = withAddress(temporalConfigFromEnv());
      const worker = await createPlanwrightWorker({
        connection: await connectWorker(config),
        namespace: config.namespace,
        taskQueue: config.taskQueue,
        model: createModel(modelConfigFromEnv()),
        tools: await loadTools(),
      });
      print(`Worker polling task queue "${config.taskQueue}" on ${config.address} (namespace ${config.namespace}).`);
      await worker.run(); // The SDK shuts down gracefully on SIGINT and SIGTERM.
      return 0;
    }

    case 'start': {
      const goal = positionals.join(' ');
      const input: RunInput = parseRunInput({
        goal,
        ...(values.approval ? { approval: values.approval } : {}),
        ...(values.context ? { context: values.context } : {}),
        ...(values['max-parallel'] ? { maxParallel: integer(values['max-parallel'], 'max-parallel') } : {}),
        ...(values['max-steps'] ? { maxSteps: integer(values['max-steps'], 'max-steps') } : {}),
        ...(values['step-timeout'] ? { stepTimeout: values['step-timeout'] } : {}),
      });
      const { client: c, config } = await client();
      const workflowId = values.id ?? `run-${Date.now().toString(36)}`;
      const handle = await c.workflow.start<typeof planAndExecute>(WORKFLOW_TYPE, {
        taskQueue: config.taskQueue,
        workflowId,
        args: [input],
        staticSummary: input.goal.slice(0, 190),
        staticDetails: input.goal,
      });
      if (!values.wait) {
        out(`started ${workflowId}`, { workflowId, runId: handle.firstExecutionRunId });
        return 0;
      }
      const state = await followRun(handle, json ? () => {} : print);
      out(`\n${state.answer ?? ''}\n\n${renderSummary(state)}`, state);
      return exitCodeOf(state);
    }

    case 'approve':
    case 'reject': {
      const id = one(positionals, 'workflow id');
      const { client: c } = await client();
      const handle = c.workflow.getHandle(id);
      const state = await handle.query(stateQuery);
      const version = integer(values.version, 'version') ?? state.plan?.version;
      if (version === undefined) throw new UsageError(`run ${id} has no plan yet; try again in a moment`);
      if (command === 'approve') await decide(() => handle.executeUpdate(approvePlanUpdate, { args: [{ version }] }));
      else {
        if (!values.feedback) throw new UsageError('reject needs --feedback saying what to change');
        const feedback = values.feedback;
        await decide(() => handle.executeUpdate(rejectPlanUpdate, { args: [{ version, feedback }] }));
      }
      out(`${command === 'approve' ? 'approved' : 'rejected'} plan v${version} of ${id}`, { workflowId: id, version });
      return 0;
    }

    case 'change-goal': {
      const [id, ...words] = positionals;
      if (!id || words.length === 0) throw new UsageError('change-goal needs a workflow id and the new goal');
      const goal = words.join(' ');
      const { client: c } = await client();
      const handle = c.workflow.getHandle(id);
      await decide(() =>
        handle.executeUpdate(changeGoalUpdate, {
          args: [{ goal, ...(values.reason ? { reason: values.reason } : {}) }],
        }),
      );
      out(`goal of ${id} changed; the run replans for it`, { workflowId: id, goal });
      return 0;
    }

    case 'resolve': {
      const [id, stepId, decision] = positionals;
      if (!id || !stepId || !decision) throw new UsageError('resolve needs a workflow id, a step id and a decision');
      if (!['retry', 'skip', 'replan', 'abort'].includes(decision)) {
        throw new UsageError(`"${decision}" is not a decision; use retry, skip, replan or abort`);
      }
      const { client: c } = await client();
      const handle = c.workflow.getHandle(id);
      const resolution = {
        stepId,
        decision: decision as 'retry' | 'skip' | 'replan' | 'abort',
        ...(values.note ? { note: values.note } : {}),
      };
      await decide(() => handle.executeUpdate(resolveEscalationUpdate, { args: [resolution] }));
      out(`${decision} ${stepId} in ${id}`, { workflowId: id, ...resolution });
      return 0;
    }

    case 'status': {
      const id = one(positionals, 'workflow id');
      const { client: c } = await client();
      const state = await c.workflow.getHandle(id).query(stateQuery);
      out(`${state.plan ? `${renderPlan(state.plan)}\n` : ''}${renderSummary(state)}`, state);
      return 0;
    }

    case 'watch':
    case 'result': {
      const id = one(positionals, 'workflow id');
      const { client: c } = await client();
      const handle = c.workflow.getHandle(id);
      if (values.output !== undefined) {
        const output = await stepOutput(handle, values.output);
        print(typeof output === 'string' && !json ? output : JSON.stringify(output, null, json ? 2 : undefined));
        return 0;
      }
      const state =
        command === 'watch' ? await followRun(handle, json ? () => {} : print) : ((await handle.result()) as RunState);
      out(`${state.answer ?? '(no answer)'}\n\n${renderSummary(state)}`, state);
      return exitCodeOf(state);
    }

    case 'list': {
      const { client: c } = await client();
      const runs: Array<{ workflowId: string; status: string; startTime: string }> = [];
      for await (const info of c.workflow.list({ query: `WorkflowType = '${WORKFLOW_TYPE}'` })) {
        runs.push({ workflowId: info.workflowId, status: info.status.name, startTime: info.startTime.toISOString() });
        if (runs.length >= 50) break;
      }
      out(runs.map((r) => `${r.startTime}  ${r.status.padEnd(11)} ${r.workflowId}`).join('\n') || '(no runs)', runs);
      return 0;
    }

    case 'cancel': {
      const id = one(positionals, 'workflow id');
      const { client: c } = await client();
      await c.workflow.getHandle(id).cancel();
      out(`cancellation requested for ${id}`, { workflowId: id });
      return 0;
    }

    default:
      throw new UsageError(`unknown command "${command}"`);
  }
}

/**
 * The whole output of one step of a run (running or ended), loaded from the output store when it is kept there.
 * @throws {UsageError} when the run has no such step, or the step has no output.
 */
async function stepOutput(handle: WorkflowHandle, stepId: string): Promise<Json> {
  const description = await handle.describe();
  const state =
    description.status.name === 'RUNNING' ? await handle.query(stateQuery) : ((await handle.result()) as RunState);
  const step = state.steps.find((s) => s.id === stepId);
  if (!step) {
    throw new UsageError(
      `run ${handle.workflowId} has no step "${stepId}"; its steps: ${state.steps.map((s) => s.id).join(', ')}`,
    );
  }
  if (step.output === undefined) throw new UsageError(`step "${stepId}" has no output (it is ${step.status})`);
  if (!isOutputRef(step.output)) return step.output;
  const store = await openOutputStore(outputStoreSettings());
  try {
    return await createOutputKeeper(store).load(step.output);
  } finally {
    await store.close();
  }
}

/** Maps an error to a message and an exit code. */
export function reportError(err: unknown): number {
  const message = (err as Error)?.message ?? String(err);
  if (
    err instanceof UsageError ||
    err instanceof InvalidRunInputError ||
    ((err as Error)?.name === 'TypeError' && /parseArgs|option/i.test(message))
  ) {
    process.stderr.write(`planwright: ${message}\nRun "planwright help" for usage.\n`);
    return 2;
  }
  if (err instanceof TemporalUnreachableError) {
    process.stderr.write(`planwright: ${message}\n`);
    return 3;
  }
  if (err instanceof WorkflowNotFoundError || err instanceof RefusedError) {
    process.stderr.write(`planwright: ${message}\n`);
    return 1;
  }
  if (err instanceof ProvisioningError || err instanceof ToolModuleError) {
    process.stderr.write(`planwright: ${message}\n`);
    return err instanceof ProvisioningError ? 3 : 2;
  }
  process.stderr.write(`planwright: ${(err as Error)?.stack ?? message}\n`);
  return 1;
}
