/**
 * `followRun`: a client's view of a run's stream. It reads with Temporal's own Workflow Streams client (the stream's
 * poll update), resumes from the last offset it read after a network error, a worker restart or a continue-as-new,
 * and ends when the run ends — reading what came after its last poll with the run's `planwright.streamItems` query.
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
  /** The pause between two polls that found items, in ms; default 100. */
  pollCooldownMs?: number;
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
  const topics = [...(options.topics ?? [TOPICS.events, TOPICS.answer])];
  const patience = options.patienceMs ?? 5 * 60_000;
  let offset = options.from ?? 0;
  let troubleSince: number | undefined;
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
      const stream = WorkflowStreamClient.create(client, workflowId);
      const items = stream.subscribe<unknown>(topics, offset, {
        resultType: true,
        pollCooldown: options.pollCooldownMs ?? 100,
      });
      for await (const raw of items) {
        troubleSince = undefined;
        if (raw.offset < offset) continue;
        offset = raw.offset + 1;
        const item = readStreamItem(raw.offset, raw.topic, raw.data);
        if (!item) continue;
        yield item;
        if (item.topic === 'events' && item.event.kind === 'run-finished') return;
        if (options.signal?.aborted) return;
      }
      // The subscription ended: the run ended, or a poll found no worker to take it for a while.
      if (await running(client, workflowId)) continue;
      for (const item of await afterTheEnd(client, workflowId, offset, topics)) yield item;
      return;
    } catch (err) {
      if (err instanceof FollowRunError) throw err;
      // Items before the stream's base were dropped at a continue-as-new (see workflows/stream.ts): go on from there.
      const base = truncatedBase(err);
      if (base !== undefined && base > offset) offset = base;
      else await trouble(err);
    }
  }
}

/** The stream's first offset, when `err` says the offset asked for was dropped from the stream; else undefined. */
function truncatedBase(err: unknown): number | undefined {
  for (let e: unknown = err; e instanceof Error; e = e.cause) {
    const match = /has been truncated\. Current base offset is (\d+)/.exec(e.message);
    if (match) return Number(match[1]);
  }
  return undefined;
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

/** The items of an ended run from `offset` on (none when the run predates its stream). */
async function afterTheEnd(
  client: Client,
  workflowId: string,
  offset: number,
  topics: string[],
): Promise<StreamItem[]> {
  let result: PollResult;
  try {
    result = await client.workflow.getHandle(workflowId).query<PollResult, [number]>(STREAM_ITEMS_QUERY, offset);
  } catch (err) {
    if (String((err as Error).message).includes(STREAM_ITEMS_QUERY)) return [];
    // A run that was terminated or timed out said nothing more after its last poll than the items already read.
    const status = (await client.workflow.getHandle(workflowId).describe()).status.name;
    if (status === 'TERMINATED' || status === 'TIMED_OUT') return [];
    throw err;
  }
  return result.items
    .filter((i) => i.offset >= offset && topics.includes(i.topic))
    .map((i) => readStreamItem(i.offset, i.topic, defaultPayloadConverter.fromPayload(decodePayloadWire(i.data))))
    .filter((i): i is StreamItem => i !== undefined);
}
