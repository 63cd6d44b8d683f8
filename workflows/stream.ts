/**
 * A run's live stream, on Temporal's Workflow Streams (`@temporalio/workflow-streams`): the run events derived from
 * the ledger's state after each transition (src/stream/derive.ts) go to the topic `events`, and the synthesizer's
 * text, published by its activity, to `answer`. Publishing from the workflow adds nothing to its history; readers
 * poll with the stream's update. What the stream holds crosses continue-as-new with the run.
 */
import { WorkflowStream, type PollResult, type WorkflowStreamState } from '@temporalio/workflow-streams/workflow';
import { allHandlersFinished, condition, defineQuery, setHandler } from '@temporalio/workflow';
import { RunEventDeriver } from '../src/stream/derive.js';
import type { RunStreamEvent } from '../src/stream/events.js';
import { TOPICS } from '../src/stream/topics.js';
import type { Run } from './run.js';

/** What a run's stream carries across continue-as-new. */
export type StreamState = WorkflowStreamState;

/**
 * The items of a run's stream from an offset on, as the stream's poll answers them: for a reader that comes after the
 * run ended (a poll is an update, which only a running run takes).
 */
export const streamItemsQuery = defineQuery<PollResult, [number]>('planwright.streamItems');

/** Most items of a run's stream carried across continue-as-new; older ones are dropped then. */
export const CARRIED_ITEMS = 500;

/** A run's stream: opened once, at the start of the run's workflow function. */
export class RunStream {
  private readonly stream: WorkflowStream;
  private readonly deriver: RunEventDeriver;
  private readonly events;

  constructor(run: Run, prior?: WorkflowStreamState) {
    this.stream = new WorkflowStream(prior);
    this.events = this.stream.topic<RunStreamEvent>(TOPICS.events);
    this.deriver = new RunEventDeriver(run.state);
    run.observe(() => {
      for (const event of this.deriver.next(run.state)) this.events.publish(event);
    });
    setHandler(streamItemsQuery, (from) => {
      const { log, base_offset: base } = this.stream.getState();
      const start = Math.max(0, from - base);
      const items = log.slice(start).map((item, i) => ({ ...item, offset: base + start + i }));
      return { items, next_offset: base + log.length, more_ready: false };
    });
  }

  /** Wakes the readers waiting for items, refuses new polls, and waits for every handler to finish: before continue-as-new. */
  async drained(): Promise<void> {
    this.stream.detachPollers();
    await condition(allHandlersFinished);
  }

  /**
   * What the stream carries across continue-as-new: its last {@link CARRIED_ITEMS} items, so that what a long run
   * carries stays bounded (a reader further behind goes on from the first item kept).
   */
  carried(): WorkflowStreamState {
    const { log, base_offset: base } = this.stream.getState();
    if (log.length > CARRIED_ITEMS) this.stream.truncate(base + log.length - CARRIED_ITEMS);
    return this.stream.getState();
  }
}
