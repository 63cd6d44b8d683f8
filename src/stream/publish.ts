/**
 * The `answer` topic's publisher: an activity tells it the model's text as it streams in, and it publishes that text
 * to the run's stream in batches (one signal of the stream's publish protocol per batch, with its de-duplication), not
 * one signal per token. The first batch goes out soon after the text starts and the pause between batches doubles up
 * to `ANSWER_BATCHES.mostMs`, so a long answer costs the run's history a few events, not hundreds.
 */
import type { Client } from '@temporalio/client';
import { WorkflowStreamClient } from '@temporalio/workflow-streams/client';
import { EVENT_SCHEMA_VERSION, TOPICS, type AnswerChunk } from './events.js';

/** The pauses between two batches of an answer's text: the first, and the longest it doubles to, in ms. */
export const ANSWER_BATCHES = Object.freeze({ firstMs: 250, mostMs: 4000 });

/** Where an answer publisher sends its batches, and what it says of their text. */
export interface AnswerTarget {
  client: Client;
  workflowId: string;
  /** The step whose executor writes the text; absent for the run's answer (the synthesizer's). */
  stepId?: string;
  /**
   * Publish only once the text has gone on for longer than the first pause: a quick answer (a step's, whose output
   * its `step-succeeded` event shows) then costs the history nothing. Default false: everything is published.
   */
  onlyWhenSlow?: boolean;
  /**
   * A later attempt of the activity: an earlier one may have published part of this text before it failed (or its
   * worker died), so the first batch says `restart` and replaces it.
   */
  retry?: boolean;
}

/** Publishes an answer's text as it is written; `close()` sends what is left and waits until the run has it. */
export interface AnswerPublisher {
  /** The next piece of the text; `restarted` when the answer is being written again from its start. */
  text(delta: string, restarted?: boolean): void;
  /** Sends the rest (or, for a quick answer with `onlyWhenSlow`, nothing) and waits until the run has it. */
  close(): Promise<void>;
}

/**
 * Starts publishing an answer to a run's `answer` topic.
 * @example
 * const answer = answerPublisher({ client: Context.current().client, workflowId });
 * await model.text({ phase: 'synthesize', messages, onText: (d, r) => answer.text(d, r) });
 * await answer.close();
 */
export function answerPublisher(target: AnswerTarget): AnswerPublisher {
  let stream: WorkflowStreamClient | undefined;
  let pending = '';
  let restart = target.retry === true;
  let started = false;
  let sentAny = false;
  let timer: NodeJS.Timeout | undefined;
  let pause: number = ANSWER_BATCHES.firstMs;
  let sending = !target.onlyWhenSlow;

  const send = () => {
    if (!pending && !restart) return;
    stream ??= WorkflowStreamClient.create(target.client, target.workflowId, {
      batchInterval: ANSWER_BATCHES.mostMs,
      // A run that cannot take a batch for this long has ended or is out of reach: the text reaches it with the result.
      maxRetryDuration: '10s',
    });
    const chunk: AnswerChunk = {
      v: EVENT_SCHEMA_VERSION,
      text: pending,
      ...(target.stepId !== undefined ? { stepId: target.stepId } : {}),
      ...(restart ? { restart: true } : {}),
    };
    stream.topic<AnswerChunk>(TOPICS.answer).publish(chunk, { forceFlush: true });
    pending = '';
    restart = false;
    sentAny = true;
  };
  const tick = () => {
    sending = true;
    send();
    pause = Math.min(pause * 2, ANSWER_BATCHES.mostMs);
    timer = setTimeout(tick, pause);
  };

  return {
    text(delta, restarted) {
      // A text written again replaces what was told; before anything went out there is nothing to replace.
      if (restarted) {
        restart ||= sentAny;
        pending = '';
      }
      pending += delta;
      if (!started) {
        started = true;
        timer = setTimeout(tick, pause);
      }
    },
    async close() {
      clearTimeout(timer);
      if (sending) send();
      if (stream) await stream[Symbol.asyncDispose]();
    },
  };
}
