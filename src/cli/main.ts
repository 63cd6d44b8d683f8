/**
 * The `planwright` command line. Exit codes: 0 run completed (or command done), 1 run ended otherwise (or the
 * command failed: a refused decision, no worker to answer, a run terminated), 2 usage error, 3 cannot reach
 * Temporal (or lost it) or the model, or provide a server.
 *
 * {@link COMMANDS} lists every command: its name, its lines in the help, and its handler (in `commands/`, by
 * group); this file reads the command line and dispatches.
 */
import { parseArgs } from 'node:util';
import { DefaultLogger, Runtime, type Logger } from '@temporalio/worker';
import { OPTIONS, print, temporalSettings, type Command, type CommandForm } from './command.js';
import * as decisions from './commands/decisions.js';
import * as live from './commands/live.js';
import { evaluate } from './commands/eval.js';
import * as local from './commands/local.js';
import * as runs from './commands/runs.js';
import * as server from './commands/server.js';
import { cliError, reportError, UsageError, type ErrorContext } from './errors.js';
import { createCliLogger } from './logger.js';
import { withPlanCacheValue } from './start-options.js';
import { runtimeTelemetry } from '../telemetry/runtime.js';

export { reportError };

/** The commands, in the order the help lists them. */
export const COMMANDS: readonly Command[] = [
  {
    name: 'demo',
    usage:
      'demo [support-report|getaway|research|pipeline] [--escalation human] [--max-replans N] [--keep]\n' +
      '     [--ui-port N] [--verbose]',
    summary:
      'run a demo agent offline on the embedded dev server (default: the weekly\n' +
      'support report; pipeline runs twice on a schedule it makes and deletes);\n' +
      '--keep keeps the server, its Web UI and the worker up until Ctrl-C',
    // A worker run for a person prints each failure on one line, unless --verbose.
    logger: (verbose) => createCliLogger({ level: 'WARN', verbose }),
    run: local.demo,
  },
  {
    name: 'dev',
    usage: 'dev [--port N] [--ui-port N] [--db FILE | --ephemeral] [--verbose]',
    summary:
      'start the embedded dev server (with Web UI) and a worker; runs are kept\n' +
      'in dev-server.db in the cache directory unless --ephemeral',
    logger: (verbose) => createCliLogger({ level: 'INFO', verbose }),
    run: local.dev,
  },
  {
    name: 'worker',
    usage: 'worker',
    summary: 'run a worker against TEMPORAL_ADDRESS',
    // A deployed worker logs as the SDK does.
    logger: () => new DefaultLogger('INFO'),
    run: server.worker,
  },
  {
    name: 'setup',
    usage: 'setup [--retention DAYS]',
    summary:
      "create the namespace if missing and register planwright's search\n" +
      'attributes (on Temporal Cloud: prints the tcld command instead)',
    run: server.setup,
  },
  {
    name: 'start',
    usage:
      'start <goal> [--approval none|plan|replans] [--approval-timeout DUR] [--escalation replan|human]\n' +
      '             [--max-replans N] [--review failures|every-step] [--budget-calls N] [--budget-tokens N]\n' +
      '             [--budget-cost USD] [--plan-cache [TTL]] [--context TEXT] [--max-parallel N] [--max-steps N]\n' +
      '             [--step-timeout DUR] [--horizon N] [--subgoals DEPTH] [--subgoal-fan-out N]\n' +
      '             [--subgoal-approval inherit|none|plan|replans] [--approve-tools TOOL,…] [--id ID] [--wait]',
    run: runs.start,
  },
  {
    name: 'approve',
    usage: 'approve <id> [--version N]',
    summary: 'approve the plan awaiting approval',
    more: [{ usage: "approve <id> --call CALL [--args '{…}']", summary: 'approve a tool call, with edited arguments' }],
    run: decisions.approve,
  },
  {
    name: 'reject',
    usage: 'reject <id> --feedback TEXT [--version N]',
    more: [{ usage: 'reject <id> --call CALL --reason TEXT', summary: 'reject a tool call, saying why' }],
    run: decisions.reject,
  },
  { name: 'change-goal', usage: 'change-goal <id> <new goal> [--reason TEXT]', run: decisions.changeGoal },
  {
    name: 'resolve',
    usage: 'resolve <id> <step> retry|skip|replan|abort [--note TEXT]',
    summary: 'decide about a step escalated to a person',
    run: decisions.resolve,
  },
  { name: 'status', usage: 'status <id>', summary: "the run's state", run: runs.status },
  {
    name: 'watch',
    usage: 'watch <id> [--from N] [--json]',
    summary: "follow a run's events as they happen until it ends (--json: NDJSON)",
    run: live.watch,
  },
  {
    name: 'serve',
    usage: 'serve [--port N] [--host H] [--cors ORIGINS] [--web-ui URL]',
    summary: 'HTTP API and console for runs (PLANWRIGHT_SERVE_TOKEN; loopback only without one)',
    run: live.serve,
  },
  {
    name: 'result',
    usage: 'result <id> [--output STEP]',
    summary:
      "wait for a run's result and print its answer; with --output, print\n" +
      "that step's whole output (from the output store when it is large)",
    run: runs.result,
  },
  { name: 'list', usage: 'list', summary: 'recent runs', run: runs.list },
  { name: 'cancel', usage: 'cancel <id>', summary: 'cancel a run', run: runs.cancel },
  {
    name: 'schedule',
    usage:
      'schedule create <schedule-id> <goal> (--every DUR [--offset DUR] | --cron EXPR [--timezone TZ])\n' +
      '             [--overlap skip|buffer-one|buffer-all|cancel-other|terminate-other|allow-all]\n' +
      '             [--jitter DUR] [--paused] [--note TEXT] and every option of start',
    summary:
      'start a run of the goal on a schedule; the plan cache is on unless\n' +
      "--plan-cache off, so later runs reuse the first run's plan",
    more: [
      { usage: 'schedule list | describe <schedule-id> | delete <schedule-id>' },
      { usage: 'schedule pause|unpause <schedule-id> [--note TEXT]' },
      { usage: 'schedule trigger <schedule-id> [--overlap POLICY]', summary: 'start one of its runs now' },
    ],
    run: runs.schedule,
  },
  {
    name: 'provision',
    usage: 'provision',
    summary: 'fetch or build the Temporal servers into the cache',
    run: local.provision,
  },
  {
    name: 'check-model',
    usage: 'check-model [--timeout SECONDS]',
    summary: 'probe the model server (OPENAI_BASE_URL) and print the settings it needs',
    run: local.checkModelServer,
  },
  {
    name: 'eval',
    usage:
      'eval [--tasks SUITES] [--limit N] [--model NAME|oracle]\n     [--runs] [--repeat N] [--concurrency N] [--output DIR]',
    summary: 'score the planner (and whole runs) on evaluation suites (docs/eval.md)',
    // Whole runs (--runs) run workers: each failure on one line, unless --verbose.
    logger: (verbose) => createCliLogger({ level: 'WARN', verbose }),
    run: evaluate,
  },
];

/** What prints the help instead of a command. */
const HELP = ['help', '--help', '-h'];

/** Where a command's summary starts in the help. */
const SUMMARY_COLUMN = 35;

/** One form of a command in the help: its summary beside its last line when there is room, else under it. */
function helpLines({ usage, summary }: CommandForm): string[] {
  const lines = usage.split('\n').map((line) => `  ${line}`);
  if (!summary) return lines;
  const [first = '', ...rest] = summary.split('\n');
  const last = lines.pop() ?? '';
  const beside = last.length + 2 <= SUMMARY_COLUMN;
  return [
    ...lines,
    ...(beside ? [last.padEnd(SUMMARY_COLUMN) + first] : [last, ' '.repeat(SUMMARY_COLUMN) + first]),
    ...rest.map((line) => ' '.repeat(SUMMARY_COLUMN) + line),
  ];
}

/** `planwright help`. */
function usage(): string {
  return `planwright — durable plan-and-execute agents on Temporal

Usage: planwright <command> [options]

${COMMANDS.flatMap((command) => [command, ...(command.more ?? [])].flatMap(helpLines)).join('\n')}

Options: --json prints machine-readable output; --verbose prints the worker's full failure details.
Environment: TEMPORAL_ADDRESS (default localhost:7233), TEMPORAL_NAMESPACE, TEMPORAL_API_KEY, TEMPORAL_TLS_CERT,
TEMPORAL_TLS_KEY, PLANWRIGHT_TASK_QUEUE, OPENAI_API_KEY, OPENAI_BASE_URL, PLANWRIGHT_MODEL, PLANWRIGHT_TOOLS,
PLANWRIGHT_WORKSPACE, PLANWRIGHT_PRICES.`;
}

/** Installs the SDK runtime with this logger, unless the process (a test, an embedding program) already has. */
function installRuntime(logger: Logger): void {
  try {
    Runtime.install(runtimeTelemetry(logger)); // metrics and trace ids as the OpenTelemetry variables ask
  } catch (err) {
    if ((err as Error).name !== 'IllegalStateError') throw err;
  }
}

/** Where the command was talking to, for messages about its failure (read again: the environment may be wrong). */
function errorContext(): ErrorContext {
  try {
    const { address, namespace } = temporalSettings();
    return { address, namespace };
  } catch {
    return {
      address: process.env.TEMPORAL_ADDRESS || 'localhost:7233',
      namespace: process.env.TEMPORAL_NAMESPACE || 'default',
    };
  }
}

/**
 * Runs the command line; resolves to the process exit code.
 * @throws the error to give {@link reportError}: expected failures carry a message and an exit code.
 * @example process.exitCode = await main(process.argv.slice(2)).catch(reportError);
 */
export async function main(argv: string[]): Promise<number> {
  const [name, ...rest] = argv;
  const { values, positionals } = parseArgs({
    args: withPlanCacheValue(rest),
    allowPositionals: true,
    options: OPTIONS,
  });
  const command = COMMANDS.find((c) => c.name === name);
  // Only commands that run a worker install the SDK's runtime: it takes over Ctrl-C (to shut workers down
  // gracefully), which would leave `watch` or `start --wait` running after Ctrl-C.
  if (command?.logger) installRuntime(command.logger(values.verbose));
  try {
    if (name === undefined || HELP.includes(name)) {
      print(usage());
      return 0;
    }
    if (!command) throw new UsageError(`unknown command "${name}"`);
    const json = values.json;
    return await command.run({
      values,
      positionals,
      json,
      print,
      out: (human, data) => print(json ? JSON.stringify(data, null, 2) : human),
      follow: json ? () => {} : print,
    });
  } catch (err) {
    throw cliError(err, errorContext());
  }
}
