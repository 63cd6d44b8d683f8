/**
 * Commands that make a Temporal server ready for planwright and serve it: the namespace and its search attributes,
 * and the worker that runs agents.
 */
import { modelConfigFromEnv } from '../../llm/config.js';
import { createModel } from '../../llm/model.js';
import { describePrice } from '../../llm/prices.js';
import { connectWorker } from '../../temporal/connection.js';
import { renderSetup, searchAttributeNotice, setupExitCode, setupNamespace } from '../../temporal/setup.js';
import { createPlanwrightWorker, loadTools, registeredSearchAttributes } from '../../worker.js';
import { client, integer, temporalSettings, workspaceNotice, type CommandContext } from '../command.js';
import { workspaceFromEnv } from '../../default-workspace.js';
import { UsageError } from '../errors.js';

/** `planwright worker`: a worker against `TEMPORAL_ADDRESS`, until it is stopped. */
export async function worker({ print }: CommandContext): Promise<number> {
  const config = temporalSettings();
  // Every setting is read before connecting: a wrong one is reported as such, whether Temporal is up or not.
  const modelConfig = modelConfigFromEnv();
  const workspace = await workspaceFromEnv();
  const connection = await connectWorker(config);
  print(searchAttributeNotice(await registeredSearchAttributes(connection, config.namespace), config.namespace));
  const worker = await createPlanwrightWorker({
    connection,
    namespace: config.namespace,
    taskQueue: config.taskQueue,
    model: createModel(modelConfig),
    tools: await loadTools(),
    workspace,
  });
  print(workspaceNotice(workspace));
  print(`Cost: ${describePrice(modelConfig.model, modelConfig.prices)}.`);
  print(`Worker polling task queue "${config.taskQueue}" on ${config.address} (namespace ${config.namespace}).`);
  await worker.run(); // The SDK shuts down gracefully on SIGINT and SIGTERM.
  return 0;
}

/** `planwright setup`: the namespace and planwright's search attributes. */
export async function setup({ values, out }: CommandContext): Promise<number> {
  const retentionDays = integer(values.retention, 'retention');
  if (retentionDays !== undefined && retentionDays < 1) throw new UsageError('--retention expects days, at least 1');
  const { client: c, config } = await client();
  const report = await setupNamespace(c.connection, config.namespace, {
    ...(retentionDays ? { retentionDays } : {}),
  });
  out(renderSetup(report), report);
  return setupExitCode(report);
}
