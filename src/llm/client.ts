/**
 * The `openai` client for a configuration: it never retries (Temporal does), Azure OpenAI gets its key header,
 * and the output cap field defaults to what the endpoint reads.
 */
import OpenAI from 'openai';
import type { ModelConfig } from './config.js';

/** Whether the configured endpoint is Azure OpenAI's. */
function isAzure(config: Pick<ModelConfig, 'baseURL'>): boolean {
  const host = config.baseURL ? new URL(config.baseURL).hostname : 'api.openai.com';
  return /\.(openai\.azure\.com|cognitiveservices\.azure\.com)$/i.test(host);
}

/** The `openai` client for `config`: never retrying (Temporal does), with the given timeout. */
export function openAIClient(config: ModelConfig, timeoutMs = config.timeoutMs): OpenAI {
  return new OpenAI({
    apiKey: config.apiKey,
    ...(config.baseURL ? { baseURL: config.baseURL } : {}),
    // Azure OpenAI's v1 endpoint takes its key in an api-key header.
    ...(isAzure(config) ? { defaultHeaders: { 'api-key': config.apiKey } } : {}),
    timeout: timeoutMs,
    maxRetries: 0,
  });
}

/** The output cap field when none is configured: OpenAI's current name for OpenAI and Azure, `max_tokens` elsewhere. */
export function defaultCapField(config: Pick<ModelConfig, 'baseURL'>): 'max_tokens' | 'max_completion_tokens' {
  const openai = !config.baseURL || new URL(config.baseURL).hostname === 'api.openai.com';
  return openai || isAzure(config) ? 'max_completion_tokens' : 'max_tokens';
}
