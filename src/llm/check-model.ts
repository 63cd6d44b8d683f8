/**
 * `planwright check-model`: probes an OpenAI-compatible server with the settings a worker would use and says
 * what works and which settings to use. Each probe is one small request of its own (a few output tokens, no
 * retries, its own timeout), run one after another so that a single-slot local server is not flooded; one
 * probe failing never stops the others. {@link checkModel} returns plain data; the command line writes it for a
 * terminal (`src/cli/check-model.ts`).
 */
import type { ToolInfo } from '../contract/tools.js';
import { builtinTools } from '../tools/builtin.js';
import { toolInfo } from '../tools/define.js';
import { advise, type SettingAdvice } from './check-model-advice.js';
import {
  PROBES,
  isListed,
  otherField,
  probeCaps,
  probeChat,
  probeModels,
  probeRoles,
  probeStructured,
  probeTemperature,
  probeTools,
  probeUsage,
  runProbe,
  skippedProbe,
  type CapField,
  type Chat,
  type Probe,
  type ProbeId,
  type ProbeResult,
} from './check-model-probes.js';
import { defaultCapField, openAIClient } from './client.js';
import { DEFAULT_TEMPERATURE, type ModelConfig } from './config.js';

/** What `checkModel` found. */
export interface ModelCheck {
  baseURL: string;
  model: string;
  /** Whether the server answered at all (`GET /models` or a chat completion). */
  reachable: boolean;
  /** Whether planwright can run with {@link ModelCheck.settings}: the chat probe and one structured mode pass. */
  runnable: boolean;
  /** Model ids `GET /models` listed, when it answered. */
  models?: string[];
  /** Whether the configured model is among them, when they are known. */
  modelListed?: boolean;
  probes: ProbeResult[];
  settings: SettingAdvice[];
  /** Other findings worth a line: model name, role order, missing usage, why planwright cannot run. */
  notes: string[];
}

/** Options of {@link checkModel}. */
export interface CheckModelOptions {
  /** Timeout of each probe (default {@link DEFAULT_PROBE_TIMEOUT_MS}). */
  timeoutMs?: number;
  /** The tool catalog whose plan format is probed (default: the built-in tools). */
  tools?: readonly ToolInfo[];
  /** Called as each probe ends, for progress output. */
  onProbe?: (probe: ProbeResult) => void;
}

/** Timeout of one probe when none is given. */
export const DEFAULT_PROBE_TIMEOUT_MS = 60_000;

/**
 * Probes the server `config` points at: reachability and the model, both output cap fields, temperature,
 * usage, structured output (a small schema, the plan format of `options.tools`, JSON mode), role order and
 * tool calls; then works out the settings a worker needs. Never throws for what the server does.
 * @example
 * const check = await checkModel(modelConfigFromEnv(), { timeoutMs: 30_000 });
 * if (!check.runnable) console.error(check.notes.join('\n'));
 */
export async function checkModel(config: ModelConfig, options: CheckModelOptions = {}): Promise<ModelCheck> {
  const timeout = options.timeoutMs ?? DEFAULT_PROBE_TIMEOUT_MS;
  const tools = options.tools ?? builtinTools.map(toolInfo);
  const client = openAIClient(config, timeout);
  const probes: ProbeResult[] = [];
  const record = (result: ProbeResult) => {
    probes.push(result);
    options.onProbe?.(result);
    return result;
  };
  const probe: Probe = async (id, run) => record(await runProbe(id, run, config, timeout));
  let capField: CapField = config.capField ?? defaultCapField(config);
  // After the temperature probe, requests sample as the worker's do (small models may need a penalty to finish).
  let sampling: { temperature?: number; frequency_penalty?: number } = {};
  const chat: Chat = (body, cap) =>
    client.chat.completions.create({ ...sampling, ...body, model: config.model, [capField]: cap });

  const { result: listing, models } = await probeModels(probe, client, config);
  const first = await probeChat(probe, chat);
  const reachable = listing.reached || first.reached;
  if (reachable) {
    await probeCaps(probe, client, config);
    const honoured = (field: CapField) => probes.some((p) => p.id === field && p.status === 'ok');
    if (!honoured(capField) && honoured(otherField(capField))) capField = otherField(capField);
    const temperature = await probeTemperature(probe, chat, config);
    sampling = {
      ...(temperature.status === 'ok' && config.temperature !== null
        ? { temperature: config.temperature ?? DEFAULT_TEMPERATURE }
        : {}),
      ...(config.frequencyPenalty !== undefined ? { frequency_penalty: config.frequencyPenalty } : {}),
    };
    await probeUsage(probe, chat);
    await probeStructured(probe, chat, tools);
    await probeRoles(probe, client, config, capField);
    await probeTools(probe, chat);
  } else {
    const rest = (Object.keys(PROBES) as ProbeId[]).filter((id) => !probes.some((p) => p.id === id));
    for (const id of rest) record(skippedProbe(id));
  }
  const advice = advise(probes, config, models);
  return {
    baseURL: config.baseURL ?? 'https://api.openai.com/v1',
    model: config.model,
    reachable,
    runnable: reachable && advice.runnable,
    ...(models ? { models, modelListed: isListed(config.model, models) } : {}),
    probes,
    settings: advice.settings,
    notes: advice.notes,
  };
}
