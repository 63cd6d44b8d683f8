/**
 * The planwright worker: runs `planAndExecute` and its activities on a task queue.
 */
import path from 'node:path';
import { pathToFileURL } from 'node:url';
import { Runtime, Worker, type NativeConnection, type WorkflowBundleOption } from '@temporalio/worker';
import { createActivities } from '../activities/index.js';
import { ModelConfigError } from './llm/config.js';
import type { Model } from './llm/model.js';
import { builtinTools } from './tools/builtin.js';
import type { Tool } from './tools/define.js';
import { closeSourcesOnShutdown, closeToolSources } from './tools/sources.js';
import { mcpToolsFromConfig } from './mcp/tools.js';
import { SEARCH_ATTRIBUTES } from './contract/search-attributes.js';
import { createFilePlanCache, type PlanCache } from './plan-cache.js';
import { cacheDir } from './cache-dir.js';
import { createOutputKeeper } from './outputs/keeper.js';
import { describeOutputStore, openOutputStore, outputStoreSettings } from './outputs/config.js';
import type { OutputStore } from './outputs/store.js';
import { DEFAULT_CONTEXT_TOKENS } from './llm/prompts.js';
import { planwrightWorkflowBundle } from './workflow-bundle.js';
import { workspaceFromEnv } from './default-workspace.js';
import { workerTuningFromEnv, type WorkerTuning } from './worker-tuning.js';
import { observeWorker } from './telemetry/worker.js';

export { WORKFLOWS_PATH, WORKFLOW_BUNDLE_OPTIONS } from './workflow-bundle.js';

/** Everything a worker is made of. */
export interface PlanwrightWorkerOptions {
  connection: NativeConnection;
  namespace: string;
  taskQueue: string;
  model: Model;
  tools?: readonly Tool[];
  /**
   * Directory tools may read and write; default `PLANWRIGHT_WORKSPACE`, else the current directory unless it holds
   * `.env` files (see {@link workspaceFromEnv}).
   */
  workspace?: string;
  /** Where runs with `planCache` keep plans; default a folder under `PLANWRIGHT_PLAN_CACHE_DIR` or the user cache. */
  planCache?: PlanCache;
  /** A prebuilt workflow bundle (tests build one per run); default: the cached bundle of this code, built if new. */
  workflowBundle?: WorkflowBundleOption;
  /**
   * Where outputs larger than the inline limit are kept; default the store `PLANWRIGHT_OUTPUT_STORE` names
   * (a folder in the user cache when unset). Every worker and client of a namespace must use the same one.
   */
  outputStore?: OutputStore;
  /**
   * Capacity for many runs at once (runs kept in memory, tasks and activities at a time, polls); default the
   * `PLANWRIGHT_*` variables of {@link workerTuningFromEnv}, else the Temporal SDK's defaults.
   */
  tuning?: WorkerTuning;
}

/**
 * Creates a worker for planwright runs. Call `run()` (or `runUntil`) on it.
 * @throws {UnsafeWorkspaceError} when it is given no workspace, `PLANWRIGHT_WORKSPACE` is not set, and the current
 * directory holds `.env` files.
 * @example
 * const worker = await createPlanwrightWorker({ connection, namespace: 'default', taskQueue: 'planwright', model });
 * await worker.run();
 */
export async function createPlanwrightWorker(options: PlanwrightWorkerOptions): Promise<Worker> {
  const workspace = options.workspace ? path.resolve(options.workspace) : await workspaceFromEnv();
  const searchAttributes = await registeredSearchAttributes(options.connection, options.namespace);
  const settings = outputStoreSettings();
  const outputStore = options.outputStore ?? (await openOutputStore(settings));
  // Retention: stored outputs older than PLANWRIGHT_OUTPUT_RETENTION go; a sweep that fails is only logged.
  outputStore.sweep(settings.retentionMs).catch((err: Error) => {
    Runtime.instance().logger.warn(`could not sweep old outputs from ${describeOutputStore(settings)}: ${err.message}`);
  });
  const tools = options.tools ?? builtinTools;
  // Traces and metrics when the OpenTelemetry variables ask for them (src/telemetry); otherwise all as given.
  const observed = observeWorker({ model: options.model, tools });
  return Worker.create({
    connection: options.connection,
    namespace: options.namespace,
    taskQueue: options.taskQueue,
    workflowBundle: options.workflowBundle ?? (await (observed.bundle ?? planwrightWorkflowBundle)()),
    activities: createActivities({
      model: observed.model,
      tools: observed.tools,
      workspace,
      searchAttributes,
      cache:
        options.planCache ??
        createFilePlanCache(process.env.PLANWRIGHT_PLAN_CACHE_DIR || path.join(cacheDir(), 'plans')),
      outputs: createOutputKeeper(outputStore, { inlineBytes: settings.inlineBytes }),
      contextTokens: contextTokensFromEnv(),
    }),
    // Activities heartbeat every second; the worker passes one on at most this often, so a cancelled tool
    // learns of it within about 2 s, well inside the 10 s heartbeat timeout.
    defaultHeartbeatThrottleInterval: '2s',
    // A workflow task bound for a worker that died waits this long before another worker takes it
    // (the SDK's default is 10 s): short, so a fleet goes on quickly after losing a worker.
    stickyQueueScheduleToStartTimeout: '3s',
    // MCP servers behind the tools are closed (stdio servers stopped) when the worker stops.
    plugins: [closeSourcesOnShutdown(tools)],
    ...workerTuningFromEnv(),
    ...options.tuning,
    ...observed.options,
  });
}

/**
 * Which planwright search attributes the namespace has, so runs set only those (a run on a server that
 * lacks them still works). Servers that do not answer the operator API (Temporal Cloud) count as having none.
 */
export async function registeredSearchAttributes(connection: NativeConnection, namespace: string): Promise<string[]> {
  try {
    const { customAttributes } = await connection.operatorService.listSearchAttributes({ namespace });
    return SEARCH_ATTRIBUTES.map((key) => key.name).filter((name) => Object.hasOwn(customAttributes ?? {}, name));
  } catch {
    return [];
  }
}

/**
 * The token budget of one model request, from `PLANWRIGHT_CONTEXT_TOKENS`.
 * @throws {ModelConfigError} when it is set to something other than a whole number of at least 1000.
 */
export function contextTokensFromEnv(env: NodeJS.ProcessEnv = process.env): number {
  const value = env.PLANWRIGHT_CONTEXT_TOKENS;
  if (!value) return DEFAULT_CONTEXT_TOKENS;
  const tokens = Number(value);
  if (!Number.isInteger(tokens) || tokens < 1000) {
    throw new ModelConfigError(
      `PLANWRIGHT_CONTEXT_TOKENS=${value} cannot be used: expected a whole number of tokens, at least 1000`,
    );
  }
  return tokens;
}

/**
 * Thrown when `PLANWRIGHT_TOOLS` names a module that cannot be loaded or exports no tools.
 * @example
 * await loadTools({ PLANWRIGHT_TOOLS: './nowhere.js' }); // throws: cannot load PLANWRIGHT_TOOLS=./nowhere.js: …
 */
export class ToolModuleError extends Error {
  override readonly name = 'ToolModuleError';
}

/**
 * Loads the built-in tools, those exported by the module named in `PLANWRIGHT_TOOLS` (a default export that
 * is a tool or a list of tools, or named exports that are tools), and those of the MCP servers in the
 * configuration `PLANWRIGHT_MCP_CONFIG` names (connected now; closed when the worker stops).
 * @throws {ToolModuleError} when the module cannot be loaded, exports no tools, or reuses a tool name.
 * @throws {McpConfigError} when the MCP configuration is unreadable or wrong.
 * @throws {McpToolsError} when an MCP server cannot be reached.
 */
export async function loadTools(env: NodeJS.ProcessEnv = process.env): Promise<Tool[]> {
  const local = [...builtinTools, ...(await moduleTools(env.PLANWRIGHT_TOOLS))];
  const mcp = env.PLANWRIGHT_MCP_CONFIG ? await mcpToolsFromConfig(env.PLANWRIGHT_MCP_CONFIG) : undefined;
  for (const warning of mcp?.warnings ?? []) console.warn(`PLANWRIGHT_MCP_CONFIG: ${warning}`);
  const tools = [...local, ...(mcp?.tools ?? [])];
  const names = tools.map((t) => t.name);
  const clash = names.find((name, i) => names.indexOf(name) !== i);
  if (clash) {
    await closeToolSources(tools);
    const fromMcp = mcp?.tools.some((t) => t.name === clash) ?? false;
    const from = fromMcp
      ? `PLANWRIGHT_MCP_CONFIG=${env.PLANWRIGHT_MCP_CONFIG}`
      : `PLANWRIGHT_TOOLS=${env.PLANWRIGHT_TOOLS}`;
    throw new ToolModuleError(`${from}: more than one tool is named "${clash}"`);
  }
  return tools;
}

/** The tools exported by the module `PLANWRIGHT_TOOLS` names, if any. */
async function moduleTools(specifier: string | undefined): Promise<Tool[]> {
  if (!specifier) return [];
  const url =
    specifier.startsWith('.') || path.isAbsolute(specifier) ? pathToFileURL(path.resolve(specifier)).href : specifier;
  let module: Record<string, unknown>;
  try {
    module = (await import(url)) as Record<string, unknown>;
  } catch (err) {
    throw new ToolModuleError(`cannot load PLANWRIGHT_TOOLS=${specifier}: ${(err as Error).message}`, { cause: err });
  }
  const isTool = (value: unknown): value is Tool =>
    typeof value === 'object' &&
    value !== null &&
    typeof (value as Tool).name === 'string' &&
    typeof (value as Tool).run === 'function';
  const exported = Object.values(module)
    .flatMap((value) => (Array.isArray(value) ? value : [value]))
    .filter(isTool);
  if (exported.length === 0) {
    throw new ToolModuleError(`PLANWRIGHT_TOOLS=${specifier} exports no tools; export values made with defineTool()`);
  }
  return [...new Set(exported)];
}
