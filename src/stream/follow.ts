/**
 * `followRun`: a client's view of a run's stream. While items flow it reads them with the run's
 * `planwright.streamItems` query, which adds nothing to the run's history; when the run has been quiet for a while
 * (waiting for a person, say) it waits with Temporal's own Workflow Streams poll (an update, which costs the history a
 * few events per poll) rather than asking over and over. It resumes from the last offset it read after a network
 * error, a worker restart or a continue-as-new, and ends when the run ends.
 */
import { setTimeout as sleep } from 'node:timers/promises';
import { WorkflowNotFoundError, type Client } from '@temporalio/client';
import { defaultPayloadConverter } from '@temporalio/common';
import { WorkflowStreamClient } from '@temporalio/workflow-streams/client';
import { decodePayloadWire, type PollResult } from '@temporalio/workflow-streams/workflow';
import { readStreamItem, TOPICS, type StreamItem, type Topic } from './events.js';

/** How {@link followRun} reads. */
export interface FollowOptions {
  /** The first offset to read (say, one past the last one a client saw); default 0, the start. */
  from?: number;
  /** The topics to read; default both (`events` and `answer`). */
  topics?: readonly Topic[];
  /** The pause between two reads that found items, in ms; default 100. It doubles while nothing comes, up to 500. */
  pollCooldownMs?: number;
  /**
   * How long the run may stay quiet, in ms, before the reader stops asking and waits with the stream's poll update
   * instead (one update per quiet spell: a few history events, against none for a read); default 30 s.
   */
  longPollAfterMs?: number;
  /** How long to keep trying while the run cannot be reached, in ms, before giving up; default 5 minutes. */
  patienceMs?: number;
  /** Stops following (the iterator ends) when aborted. */
  signal?: AbortSignal;
}

/** Thrown by {@link followRun} when the run cannot be followed: there is no such run, or it stayed out of reach. */
export class FollowRunError extends Error {
  override readonly name = 'FollowRunError';
  constructor(
    message: string,
    readonly workflowId: string,
    options?: { cause?: unknown },
  ) {
    super(message, options);
  }
}

/** The name of the query a run answers with its stream's items from an offset on (workflows/stream.ts). */
const STREAM_ITEMS_QUERY = 'planwright.streamItems';

/**
 * Follows a run's stream from `from` on: every item once, in order, across reconnections, until the run ends.
 * @throws {FollowRunError} when there is no run with this id, or it could not be reached for `patienceMs`.
 * @example
 * for await (const item of followRun(client, 'run-42', { topics: ['events'] })) {
 *   if (item.topic === 'events') console.log(item.offset, item.event.kind, item.event.message);
 * }
 */
export async function* followRun(
  client: Client,
  workflowId: string,
  options: FollowOptions = {},
): AsyncGenerator<StreamItem, void, undefined> {
  const topics: string[] = [...(options.topics ?? [TOPICS.events, TOPICS.answer])];
  const patience = options.patienceMs ?? 5 * 60_000;
  const cooldown = options.pollCooldownMs ?? 100;
  const longPollAfter = options.longPollAfterMs ?? 30_000;
  const handle = client.workflow.getHandle(workflowId);
  let offset = options.from ?? 0;
  let troubleSince: number | undefined;
  let quietSince = Date.now();
  let checkedEnd = Date.now();
  let pause = cooldown;
  const trouble = async (err: unknown) => {
    if (err instanceof WorkflowNotFoundError && !(await exists(client, workflowId))) {
      throw new FollowRunError(`no run with id "${workflowId}": check the id (planwright list shows runs)`, workflowId);
    }
    troubleSince ??= Date.now();
    if (Date.now() - troubleSince > patience) {
      throw new FollowRunError(`run "${workflowId}" could not be reached for ${patience} ms`, workflowId, {
        cause: err,
      });
    }
    await sleep(Math.min(2000, 100 * 2 ** Math.min(5, Math.floor((Date.now() - troubleSince) / 1000))));
  };
  while (!options.signal?.aborted) {
    try {
      let read: PollResult;
      try {
        read = await handle.query<PollResult, [number]>(STREAM_ITEMS_QUERY, offset);
      } catch (err) {
        // A run that predates its stream has no such query: it says nothing.
        if (String((err as Error).message).includes(STREAM_ITEMS_QUERY)) return;
        throw err;
      }
      troubleSince = undefined;
      // Items before the stream's base were dropped at a continue-as-new (see workflows/stream.ts): go on from there.
      const first = read.items[0]?.offset;
      if (first !== undefined && first > offset) offset = first;
      let finished = false;
      for (const wire of read.items) {
        if (wire.offset < offset) continue;
        offset = wire.offset + 1;
        if (!topics.includes(wire.topic)) continue;
        const item = decoded(wire);
        if (!item) continue;
        yield item;
        if (options.signal?.aborted) return;
        finished ||= item.topic === 'events' && item.event.kind === 'run-finished';
      }
      if (finished) return;
      offset = Math.max(offset, read.next_offset);
      if (read.items.length > 0) {
        quietSince = Date.now();
        pause = cooldown;
      } else {
        // Quiet: a run that ended without a last event (terminated, timed out, or from before its stream) is over.
        if (Date.now() - checkedEnd >= 2000) {
          checkedEnd = Date.now();
          if (!(await running(client, workflowId))) {
            const rest = await handle.query<PollResult, [number]>(STREAM_ITEMS_QUERY, offset).catch(() => undefined);
            for (const wire of rest?.items ?? []) {
              const item = wire.offset >= offset && topics.includes(wire.topic) ? decoded(wire) : undefined;
              if (item) yield item;
            }
            return;
          }
        }
        if (Date.now() - quietSince >= longPollAfter) {
          await waitForItems(client, workflowId, offset, options.signal);
          quietSince = Date.now();
          pause = cooldown;
          continue;
        }
        pause = Math.min(pause * 2, Math.max(cooldown, 500));
      }
      await sleep(pause, undefined, options.signal ? { signal: options.signal } : {}).catch(() => undefined);
    } catch (err) {
      if (err instanceof FollowRunError) throw err;
      // A run that ended cannot be read without a worker to answer the query: what it said is what was read.
      if (!(err instanceof WorkflowNotFoundError) && (await running(client, workflowId).catch(() => true)) === false)
        return;
      await trouble(err);
    }
  }
}

/** An item of the stream as a client reads it (undefined for one it cannot read). */
function decoded(wire: { offset: number; topic: string; data: string }): StreamItem | undefined {
  return readStreamItem(wire.offset, wire.topic, defaultPayloadConverter.fromPayload(decodePayloadWire(wire.data)));
}

/**
 * Waits with the stream's poll update until the run has an item at `offset` or later, or it ends, or continues as
 * new (the next read goes on from there).
 */
async function waitForItems(client: Client, workflowId: string, offset: number, signal?: AbortSignal): Promise<void> {
  const items = WorkflowStreamClient.create(client, workflowId).subscribe([], offset);
  const stop = () => void items.return(undefined);
  signal?.addEventListener('abort', stop, { once: true });
  try {
    await items.next();
  } finally {
    signal?.removeEventListener('abort', stop);
    await items.return(undefined);
  }
}

/** Whether the run (its latest run, after continue-as-new) is still running. */
async function running(client: Client, workflowId: string): Promise<boolean> {
  const description = await client.workflow.getHandle(workflowId).describe();
  return description.status.name === 'RUNNING';
}

async function exists(client: Client, workflowId: string): Promise<boolean> {
  try {
    await client.workflow.getHandle(workflowId).describe();
    return true;
  } catch (err) {
    if (err instanceof WorkflowNotFoundError) return false;
    throw err;
  }
}
