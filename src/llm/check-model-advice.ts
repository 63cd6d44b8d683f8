/**
 * What check-model concludes from its probes: the settings a worker needs for this server, notes worth a line,
 * and whether planwright can run against it at all.
 */
import { isListed, list, otherField, type ProbeId, type ProbeResult } from './check-model-probes.js';
import { shorten } from './check-model-answers.js';
import { defaultCapField } from './client.js';
import type { ModelConfig } from './config.js';

/** The environment variables `checkModel` gives advice on (read by `modelConfigFromEnv`). */
export type SettingName =
  | 'PLANWRIGHT_MAX_TOKENS_FIELD'
  | 'PLANWRIGHT_STRUCTURED_OUTPUT'
  | 'PLANWRIGHT_TOOL_CALLS'
  | 'PLANWRIGHT_TEMPERATURE'
  | 'PLANWRIGHT_FREQUENCY_PENALTY';

/** A setting the server needs, as an environment variable for the worker. */
export interface SettingAdvice {
  name: SettingName;
  value: string;
  /** Why, from the probes. */
  reason: string;
  /** False when the worker already uses this value (set, or its default). */
  changed: boolean;
}

/** The settings a worker needs, what else is worth saying, and whether planwright can run. */
export function advise(
  probes: readonly ProbeResult[],
  config: ModelConfig,
  models: readonly string[] | undefined,
): { settings: SettingAdvice[]; notes: string[]; runnable: boolean } {
  const byId = (id: ProbeId) => probes.find((p) => p.id === id);
  const ok = (id: ProbeId) => byId(id)?.status === 'ok';
  const why = (id: ProbeId) => {
    const p = byId(id);
    return p ? `${p.title} ${p.status === 'unsupported' ? 'refused' : p.status}: ${shorten(p.detail, 90)}` : '';
  };
  const settings: SettingAdvice[] = [];
  const notes: string[] = [];

  const cap = config.capField ?? defaultCapField(config);
  if (ok(cap)) {
    settings.push({ name: 'PLANWRIGHT_MAX_TOKENS_FIELD', value: cap, reason: 'honoured', changed: false });
  } else if (ok(otherField(cap))) {
    const value = otherField(cap);
    settings.push({ name: 'PLANWRIGHT_MAX_TOKENS_FIELD', value, reason: why(cap), changed: true });
  } else if (byId(cap)?.status !== 'skipped') {
    notes.push('Neither max_tokens nor max_completion_tokens was honoured: answers may run long.');
  }

  const current = config.structuredOutput ?? 'json_schema';
  const schemaMode = ok('json_schema') && ok('plan_format');
  if (schemaMode) {
    const reason = 'strict JSON schema works, the plan format included';
    settings.push({
      name: 'PLANWRIGHT_STRUCTURED_OUTPUT',
      value: 'json_schema',
      reason,
      changed: current !== 'json_schema',
    });
  } else if (ok('json_object')) {
    const reason = why(ok('json_schema') ? 'plan_format' : 'json_schema');
    settings.push({
      name: 'PLANWRIGHT_STRUCTURED_OUTPUT',
      value: 'json_object',
      reason,
      changed: current !== 'json_object',
    });
  } else if (byId('json_object')?.status !== 'skipped') {
    notes.push(
      'Neither json_schema nor json_object gave a valid answer: the planner cannot get plans from this model.',
    );
  }

  if (byId('plan_format')?.truncated) {
    notes.push(
      config.frequencyPenalty === undefined
        ? 'The plan ran on to the output cap (small models repeat themselves): ' +
            'try PLANWRIGHT_FREQUENCY_PENALTY=1 and check again.'
        : `The plan ran on to the output cap even with PLANWRIGHT_FREQUENCY_PENALTY=${config.frequencyPenalty}: ` +
            'the model may be too small to plan.',
    );
  }

  const tools = byId('tools');
  if (tools && tools.status !== 'skipped') {
    const native = tools.status === 'ok';
    const value = native ? 'native' : 'json';
    const reason = native ? 'tool calls come back with JSON arguments' : why('tools');
    settings.push({ name: 'PLANWRIGHT_TOOL_CALLS', value, reason, changed: (config.toolCalls ?? 'native') !== value });
  }

  if (byId('temperature')?.status === 'unsupported') {
    settings.push({
      name: 'PLANWRIGHT_TEMPERATURE',
      value: 'default',
      reason: why('temperature'),
      changed: config.temperature !== null,
    });
  }

  if (config.frequencyPenalty !== undefined && byId('usage')?.status !== 'skipped') {
    const value = String(config.frequencyPenalty);
    const reason = 'the probes after the temperature probe were sent with it';
    settings.push({ name: 'PLANWRIGHT_FREQUENCY_PENALTY', value, reason, changed: false });
  }

  if (models && !isListed(config.model, models)) {
    notes.push(
      `PLANWRIGHT_MODEL "${config.model}" is not among the listed models (${list(models)}); a server with one model ` +
        `(llama.cpp) answers under any name, others need one of the listed names.`,
    );
  }
  if (['roles_user_user', 'roles_user_system'].some((id) => byId(id as ProbeId)?.status === 'unsupported')) {
    notes.push("The server's chat template wants alternating roles; planwright always sends them so, nothing to set.");
  }
  if (byId('usage')?.status === 'failed') {
    notes.push('The server reports no token usage: token budgets and usage figures will count 0 tokens.');
  }
  if (!ok('chat')) notes.push(`The chat completion failed, so planwright cannot run: ${byId('chat')?.detail ?? ''}`);
  return { settings, notes, runnable: ok('chat') && (schemaMode || ok('json_object')) };
}
