/**
 * The `planwright` command line. Exit codes: 0 run completed (or command done), 1 run ended otherwise (or the
 * command failed: a refused decision, no worker to answer, a run terminated), 2 usage error, 3 cannot reach
 * Temporal (or lost it) or the model, or provide a server.
 */
import { parseArgs } from 'node:util';
import { WorkflowUpdateFailedError, type Client, type WorkflowHandle } from '@temporalio/client';
import { DefaultLogger, Runtime, type Logger } from '@temporalio/worker';
import { isOutputRef } from '../contract/output.js';
import type { Json } from '../contract/plan.js';
import type { RunState } from '../contract/run-state.js';
import { DEFAULT_PROBE_TIMEOUT_MS, checkModel } from '../llm/check-model.js';
import { modelCheckExitCode, renderModelCheck } from './check-model.js';
import { modelConfigFromEnv } from '../llm/config.js';
import { createModel } from '../llm/model.js';
import { describePrice } from '../llm/prices.js';
import { openOutputStore, outputStoreSettings } from '../outputs/config.js';
import { createOutputKeeper } from '../outputs/keeper.js';
import { connectClient, connectWorker, temporalConfigFromEnv, type TemporalConfig } from '../temporal/connection.js';
import { provisionServers } from '../provision/temporal.js';
import { renderSetup, searchAttributeNotice, setupExitCode, setupNamespace } from '../temporal/setup.js';
import { toolInfo } from '../tools/define.js';
import { closeToolSources } from '../tools/sources.js';
import { createPlanwrightWorker, loadTools, registeredSearchAttributes } from '../worker.js';
import { runDemo } from './demo.js';
import { runDev } from './dev.js';
import { cliError, RefusedError, reportError, UsageError, type ErrorContext } from './errors.js';
import { createCliLogger } from './logger.js';
import { endedState, readRunState } from './read-state.js';
import { followRun, renderPlan, renderSummary, renderWaiting, shellWord } from './render.js';
import { SCHEDULE_OPTIONS, scheduleCommand } from './schedule.js';
import { runInputFromOptions, START_OPTIONS, withPlanCacheValue } from './start-options.js';
import type { planAndExecute } from '../../workflows/index.js';
import {
  WORKFLOW_TYPE,
  approvePlanUpdate,
  changeGoalUpdate,
  rejectPlanUpdate,
  resolveEscalationUpdate,
} from '../../workflows/messages.js';

export { reportError };

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

const USAGE = `planwright — durable plan-and-execute agents on Temporal

Usage: planwright <command> [options]

  demo [support-report|getaway|research|pipeline] [--escalation human] [--max-replans N] [--keep]
       [--ui-port N] [--verbose]   run a demo agent offline on the embedded dev server (default: the weekly
                                   support report; pipeline runs twice on a schedule it makes and deletes);
                                   --keep keeps the server, its Web UI and the worker up until Ctrl-C
  dev [--port N] [--ui-port N] [--db FILE | --ephemeral] [--verbose]
                                   start the embedded dev server (with Web UI) and a worker; runs are kept
                                   in dev-server.db in the cache directory unless --ephemeral
  worker                           run a worker against TEMPORAL_ADDRESS
  setup [--retention DAYS]         create the namespace if missing and register planwright's search
                                   attributes (on Temporal Cloud: prints the tcld command instead)
  start <goal> [--approval none|plan|replans] [--approval-timeout DUR] [--escalation replan|human]
               [--max-replans N] [--review failures|every-step] [--budget-calls N] [--budget-tokens N]
               [--budget-cost USD] [--plan-cache [TTL]] [--context TEXT] [--max-parallel N] [--max-steps N]
               [--step-timeout DUR] [--horizon N] [--subgoals DEPTH] [--subgoal-fan-out N]
               [--subgoal-approval inherit|none|plan|replans] [--id ID] [--wait]
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
  schedule create <schedule-id> <goal> (--every DUR [--offset DUR] | --cron EXPR [--timezone TZ])
               [--overlap skip|buffer-one|buffer-all|cancel-other|terminate-other|allow-all]
               [--jitter DUR] [--paused] [--note TEXT] and every option of start
                                   start a run of the goal on a schedule; the plan cache is on unless
                                   --plan-cache off, so later runs reuse the first run's plan
  schedule list | describe <schedule-id> | delete <schedule-id>
  schedule pause|unpause <schedule-id> [--note TEXT]
  schedule trigger <schedule-id> [--overlap POLICY]
                                   start one of its runs now
  provision                        fetch or build the Temporal servers into the cache
  check-model [--timeout SECONDS]  probe the model server (OPENAI_BASE_URL) and print the settings it needs

Options: --json prints machine-readable output; --verbose prints the worker's full failure details.
Environment: TEMPORAL_ADDRESS (default localhost:7233), TEMPORAL_NAMESPACE, TEMPORAL_API_KEY, TEMPORAL_TLS_CERT,
TEMPORAL_TLS_KEY, PLANWRIGHT_TASK_QUEUE, OPENAI_API_KEY, OPENAI_BASE_URL, PLANWRIGHT_MODEL, PLANWRIGHT_TOOLS,
PLANWRIGHT_WORKSPACE, PLANWRIGHT_PRICES.`;

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
function installRuntime(logger: Logger): void {
  try {
    Runtime.install({ logger });
  } catch (err) {
    if ((err as Error).name !== 'IllegalStateError') throw err;
  }
}

/**
 * The runtime's logger: commands that run a worker in this process for a person (`demo`, `dev`) print each
 * failure on one line unless `--verbose`; `worker` logs as the SDK does.
 */
function loggerFor(command: 'demo' | 'dev' | 'worker', verbose: boolean): Logger {
  if (command === 'demo') return createCliLogger({ level: 'WARN', verbose });
  if (command === 'dev') return createCliLogger({ level: 'INFO', verbose });
  return new DefaultLogger('INFO');
}

/** Where the command was talking to, for messages about its failure (read again: the environment may be wrong). */
function errorContext(): ErrorContext {
  try {
    const { address, namespace } = withAddress(temporalConfigFromEnv());
    return { address, namespace };
  } catch {
    return {
      address: process.env.TEMPORAL_ADDRESS || 'localhost:7233',
      namespace: process.env.TEMPORAL_NAMESPACE || 'default',
    };
  }
}

const OPTIONS = {
  json: { type: 'boolean', default: false },
  verbose: { type: 'boolean', default: false },
  keep: { type: 'boolean', default: false },
  wait: { type: 'boolean', default: false },
  ephemeral: { type: 'boolean', default: false },
  db: { type: 'string' },
  'ui-port': { type: 'string' },
  port: { type: 'string' },
  ...START_OPTIONS,
  ...SCHEDULE_OPTIONS,
  id: { type: 'string' },
  version: { type: 'string' },
  feedback: { type: 'string' },
  reason: { type: 'string' },
  note: { type: 'string' },
  output: { type: 'string' },
  timeout: { type: 'string' },
  retention: { type: 'string' },
  help: { type: 'boolean', short: 'h', default: false },
} as const;

type Values = ReturnType<typeof parseArgs<{ options: typeof OPTIONS; allowPositionals: true }>>['values'];

/**
 * Runs the command line; resolves to the process exit code.
 * @throws the error to give {@link reportError}: expected failures carry a message and an exit code.
 * @example process.exitCode = await main(process.argv.slice(2)).catch(reportError);
 */
export async function main(argv: string[]): Promise<number> {
  const [command, ...rest] = argv;
  const { values, positionals } = parseArgs({
    args: withPlanCacheValue(rest),
    allowPositionals: true,
    options: OPTIONS,
  });
  // Only commands that run a worker install the SDK's runtime: it takes over Ctrl-C (to shut workers down
  // gracefully), which would leave `watch` or `start --wait` running after Ctrl-C.
  if (command === 'demo' || command === 'dev' || command === 'worker')
    installRuntime(loggerFor(command, values.verbose));
  try {
    return await run(command, values, positionals);
  } catch (err) {
    throw cliError(err, errorContext());
  }
}

async function run(command: string | undefined, values: Values, positionals: string[]): Promise<number> {
  const json = values.json;
  const out = (human: string, data: unknown) => print(json ? JSON.stringify(data, null, 2) : human);
  const follow = json ? () => {} : print;

  switch (command) {
    case undefined:
    case 'help':
    case '--help':
    case '-h':
      print(USAGE);
      return 0;

    case 'demo': {
      const uiPort = integer(values['ui-port'], 'ui-port');
      const maxReplans = integer(values['max-replans'], 'max-replans');
      const state = await runDemo({
        agent: positionals[0] ?? 'support-report',
        overrides: {
          ...(values.escalation ? { escalation: values.escalation as 'replan' | 'human' } : {}),
          ...(maxReplans !== undefined ? { maxReplans } : {}),
        },
        keep: values.keep,
        print: follow,
        ...(uiPort ? { uiPort } : {}),
      });
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
      const loaded = await loadTools();
      const tools = loaded.map(toolInfo);
      await closeToolSources(loaded); // MCP servers were asked for their tools only
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
      if (values.ephemeral && values.db) throw new UsageError('--db and --ephemeral do not go together');
      await runDev({
        port,
        uiPort,
        print,
        ephemeral: values.ephemeral,
        ...(values.db ? { db: values.db } : {}),
      });
      return 0;
    }

    case 'worker': {
      const config = withAddress(temporalConfigFromEnv());
      const connection = await connectWorker(config);
      print(searchAttributeNotice(await registeredSearchAttributes(connection, config.namespace), config.namespace));
      const modelConfig = modelConfigFromEnv();
      const worker = await createPlanwrightWorker({
        connection,
        namespace: config.namespace,
        taskQueue: config.taskQueue,
        model: createModel(modelConfig),
        tools: await loadTools(),
      });
      print(`Cost: ${describePrice(modelConfig.model, modelConfig.prices)}.`);
      print(`Worker polling task queue "${config.taskQueue}" on ${config.address} (namespace ${config.namespace}).`);
      await worker.run(); // The SDK shuts down gracefully on SIGINT and SIGTERM.
      return 0;
    }

    case 'setup': {
      const retentionDays = integer(values.retention, 'retention');
      if (retentionDays !== undefined && retentionDays < 1)
        throw new UsageError('--retention expects days, at least 1');
      const { client: c, config } = await client();
      const report = await setupNamespace(c.connection, config.namespace, {
        ...(retentionDays ? { retentionDays } : {}),
      });
      out(renderSetup(report), report);
      return setupExitCode(report);
    }

    case 'start': {
      const input = runInputFromOptions(positionals.join(' '), values);
      const { client: c, config } = await client();
      const workflowId = values.id ?? `run-${Date.now().toString(36)}`;
      const handle = await c.workflow.start<typeof planAndExecute>(WORKFLOW_TYPE, {
        taskQueue: config.taskQueue,
        workflowId,
        // An id names one run: reusing the id of an ended run would make `status` and `result` ambiguous.
        workflowIdReusePolicy: 'REJECT_DUPLICATE',
        args: [input],
        staticSummary: input.goal.slice(0, 190),
        staticDetails: input.goal,
      });
      if (!values.wait) {
        out(`started ${workflowId}; follow it with: planwright watch ${shellWord(workflowId)}`, {
          workflowId,
          runId: handle.firstExecutionRunId,
        });
        return 0;
      }
      follow(`started ${workflowId} on task queue "${config.taskQueue}" (Ctrl-C stops watching; the run goes on)`);
      const state = await followRun(handle, follow);
      out(`${state.answer ? `\n${state.answer}\n` : ''}\n${renderSummary(state)}`, state);
      return exitCodeOf(state);
    }

    case 'approve':
    case 'reject': {
      const id = one(positionals, 'workflow id');
      const { client: c } = await client();
      const handle = c.workflow.getHandle(id);
      const version = integer(values.version, 'version') ?? (await readRunState(handle)).plan?.version;
      if (version === undefined)
        throw new UsageError(`run ${id} has no plan yet; try again in a moment`, { help: false });
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
      const state = await readRunState(c.workflow.getHandle(id));
      const waiting = renderWaiting(id, state);
      out(
        `${state.plan ? `${renderPlan(state.plan)}\n` : ''}${renderSummary(state)}${waiting ? `\n${waiting}` : ''}`,
        state,
      );
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
      const state = command === 'watch' ? await followRun(handle, follow) : await endedState(handle);
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

    case 'schedule':
      return scheduleCommand(positionals, values, { connect: client, out });

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
  const state = await readRunState(handle);
  const step = state.steps.find((s) => s.id === stepId);
  if (!step) {
    throw new UsageError(
      `run ${handle.workflowId} has no step "${stepId}"; its steps: ${state.steps.map((s) => s.id).join(', ')}`,
      { help: false },
    );
  }
  if (step.output === undefined) {
    throw new UsageError(`step "${stepId}" has no output (it is ${step.status})`, { help: false });
  }
  if (!isOutputRef(step.output)) return step.output;
  const store = await openOutputStore(outputStoreSettings());
  try {
    return await createOutputKeeper(store).load(step.output);
  } finally {
    await store.close();
  }
}
