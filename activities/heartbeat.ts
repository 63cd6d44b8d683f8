/**
 * How activities tell the server they are alive while a tool or the model works, so that a worker that dies is
 * noticed within the heartbeat timeout; a model activity's heartbeats carry the usage of its calls so far.
 */
import { Context } from '@temporalio/activity';
import { addTokenUsage, usageOfFailure, withUsage, type TokenUsage, type UsageListener } from '../src/llm/usage.js';

/** How often an activity tells the server it is alive while a tool or the model works (throttled by the worker). */
export const HEARTBEAT_EVERY_MS = 1000;

/**
 * Runs `work` while heartbeating for it, so a worker that dies is noticed within the heartbeat timeout even
 * when the work itself never heartbeats. Details the work heartbeats with are kept and sent again.
 */
export async function whileBeating<T>(work: (heartbeat: (details?: unknown) => void) => T | Promise<T>): Promise<T> {
  const activity = Context.current();
  let last: unknown;
  const heartbeat = (details?: unknown) => {
    last = details;
    activity.heartbeat(details);
  };
  const timer = setInterval(() => activity.heartbeat(last), HEARTBEAT_EVERY_MS);
  try {
    // A cancelled run stops waiting for the tool at once, even for a tool that ignores its abort signal.
    return await Promise.race([work(heartbeat), activity.cancelled]);
  } finally {
    clearInterval(timer);
  }
}

/** What a model activity heartbeats: the usage of its calls so far, earlier attempts included. */
export interface ModelHeartbeat {
  usage: TokenUsage;
}

/**
 * How long after a model call answers its usage is heartbeated, when the activity is still running by then.
 * An activity that ends sooner carries its usage in its result (or failure) and sends no heartbeat at all:
 * a heartbeat is a request the server must persist, on the run's critical path.
 */
export const USAGE_BEAT_DELAY_MS = 100;

/**
 * Runs a model call while heartbeating, with the usage so far in the heartbeat details. Usage of earlier
 * attempts (read back from those details when Temporal retries) is added to what this attempt returns or
 * fails with, and an attempt that times out leaves its usage in the timeout's last heartbeat details: a call
 * that answered is heartbeated {@link USAGE_BEAT_DELAY_MS} later if the activity has not ended by then, so
 * every call that reached the model is counted.
 */
export async function modelCall<T extends { usage: TokenUsage }>(
  work: (onUsage: UsageListener) => Promise<T>,
): Promise<T> {
  const activity = Context.current();
  const earlier = (activity.info.heartbeatDetails as Partial<ModelHeartbeat> | undefined)?.usage;
  const prior = earlier ?? { llmCalls: 0, inputTokens: 0, outputTokens: 0 };
  let details: ModelHeartbeat = { usage: prior };
  let pending: NodeJS.Timeout | undefined;
  const beat = () => {
    clearTimeout(pending);
    pending = undefined;
    activity.heartbeat(details);
  };
  // A retried attempt keeps what earlier attempts used in its own details from the start.
  if (earlier) beat();
  const timer = setInterval(beat, HEARTBEAT_EVERY_MS);
  try {
    const out = await work((soFar) => {
      details = { usage: addTokenUsage(prior, soFar) };
      pending ??= setTimeout(beat, USAGE_BEAT_DELAY_MS);
    });
    return { ...out, usage: addTokenUsage(prior, out.usage) };
  } catch (err) {
    throw withUsage(err, addTokenUsage(prior, usageOfFailure(err)));
  } finally {
    clearInterval(timer);
    clearTimeout(pending);
  }
}
