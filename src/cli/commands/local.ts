/**
 * Commands that need no Temporal server of yours: a demo agent and the dev server on the embedded server, the
 * servers fetched or built into the cache, and the check of a model server.
 */
import { DEFAULT_PROBE_TIMEOUT_MS, checkModel } from '../../llm/check-model.js';
import { modelConfigFromEnv } from '../../llm/config.js';
import { provisionServers } from '../../provision/temporal.js';
import { toolInfo } from '../../tools/define.js';
import { closeToolSources } from '../../tools/sources.js';
import { loadTools } from '../../worker.js';
import { modelCheckExitCode, renderModelCheck } from '../check-model.js';
import { exitCodeOf, integer, MAX_PORT, tcpPort, type CommandContext } from '../command.js';
import { runDemo } from '../demo.js';
import { runDev } from '../dev.js';
import { UsageError } from '../errors.js';

/** `planwright demo`: a demo agent, offline, on the embedded dev server. */
export async function demo({ values, positionals, json, out, follow }: CommandContext): Promise<number> {
  const uiPort = tcpPort(values['ui-port'], 'ui-port');
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

/** `planwright dev`: the embedded dev server and a worker. */
export async function dev({ values, print }: CommandContext): Promise<number> {
  const port = tcpPort(values.port, 'port') ?? 7233;
  const uiPort = tcpPort(values['ui-port'], 'ui-port') ?? port + 1000;
  if (uiPort > MAX_PORT) {
    throw new UsageError(`--port ${port} leaves no port for the Web UI (it takes --port + 1000); give --ui-port`);
  }
  if (uiPort === port) throw new UsageError(`--port and --ui-port must differ (both are ${port})`);
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

/** `planwright provision`: the Temporal servers, into the cache. */
export async function provision({ out }: CommandContext): Promise<number> {
  const paths = await provisionServers();
  out(`dev server: ${paths.devServer}\ntime-skipping test server: ${paths.testServer}`, paths);
  return 0;
}

/** `planwright check-model`: what the model server supports, and the settings it needs. */
export async function checkModelServer({ values, json, out }: CommandContext): Promise<number> {
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
