/**
 * Schedulers kept only so that runs started before 0.7 replay as their histories say. New runs use the scheduler
 * in execute.ts, where each finished step starts the steps it made ready (`STEPS_STARTED_AS_STEPS_FINISH`).
 * Remove this file once no run started before that change is left (see patches.ts).
 */
import { isCancellation } from '@temporalio/workflow';
import type { Step } from '../src/contract/plan.js';
import { HONEST_TEMPORAL_STATUS, SCHEDULER_WOKEN_BY_STEPS, follows } from './patches.js';

/** What a scheduler needs of the run: how many steps may run, which may start now, and how to run one. */
export interface SchedulerDeps {
  limit: number;
  /** Whether something needs the run's attention before more steps start. */
  paused: () => boolean;
  /** The ready steps that may start now, at most `room` of them. */
  ready: (room: number) => Step[];
  /** Runs a step and records its outcome; `woken` tells it which scheduler's rules apply. */
  runStep: (step: Step, woken: boolean) => Promise<void>;
}

/**
 * Starts ready steps until nothing runs, in a loop: runs started before `SCHEDULER_WOKEN_BY_STEPS` raced the
 * running steps; runs started after it (and before `STEPS_STARTED_AS_STEPS_FINISH`) were woken by each step that
 * finished.
 */
export async function legacySchedule({ limit, paused, ready, runStep }: SchedulerDeps): Promise<void> {
  const woken = follows(SCHEDULER_WOKEN_BY_STEPS);
  const running = new Map<string, Promise<void>>();
  let wake = () => {};
  let failure: { error: unknown } | undefined;
  const finished = (id: string, error?: { error: unknown }) => {
    running.delete(id);
    failure ??= error;
    wake();
  };
  for (;;) {
    if (!paused()) {
      for (const step of ready(limit - running.size)) {
        const started = runStep(step, woken);
        running.set(
          step.id,
          woken
            ? started.then(
                () => finished(step.id),
                (error: unknown) => finished(step.id, { error }),
              )
            : started.finally(() => running.delete(step.id)),
        );
      }
    }
    if (running.size === 0) return;
    try {
      if (!woken) await Promise.race(running.values());
      else {
        await new Promise<void>((resolve) => (wake = resolve));
        if (failure) throw failure.error;
      }
    } catch (err) {
      // Cancelled: wait until every running step's activity has stopped, so none is left "cancel requested".
      if (isCancellation(err) && follows(HONEST_TEMPORAL_STATUS)) await Promise.allSettled(running.values());
      throw err;
    }
  }
}
