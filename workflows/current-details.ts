/**
 * The Current Details the Web UI shows for a run, rendered only when someone asks for them. The Web UI (and
 * `temporal workflow metadata`) read them with the SDK's `__temporal_workflow_metadata` query; nothing else does,
 * and they are not part of the history. So a run only says how to render them, and the interceptor exported here
 * (a workflow interceptor module, see `WORKFLOW_BUNDLE_OPTIONS` in src/workflow-bundle.ts) renders them just before that
 * query is answered: no run spends anything on them between queries.
 *
 * In a bundle built without this module as an interceptor module, a run renders them once per activation instead,
 * after the activation's other work (the way every run did before).
 *
 * This module keeps state for the run it belongs to: it must never be preloaded (shared between runs).
 */
import { setCurrentDetails, type WorkflowInterceptorsFactory } from '@temporalio/workflow';

/** The SDK's query for a run's metadata, whose answer carries the Current Details. */
const METADATA_QUERY = '__temporal_workflow_metadata';

/** This run's renderer, and whether the interceptor renders on the metadata query. */
const details: { render?: () => string; onQuery: boolean; due: boolean } = { onQuery: false, due: false };

/** Renders the Current Details just before the metadata query is answered. */
export const interceptors: WorkflowInterceptorsFactory = () => {
  details.onQuery = true;
  return {
    internals: [
      {
        activate(input, next) {
          const asked = input.activation.jobs?.some((job) => job.queryWorkflow?.queryType === METADATA_QUERY);
          if (asked && details.render) setCurrentDetails(details.render());
          next(input);
        },
      },
    ],
  };
};

/**
 * Says that the run's details changed and how to render them. With the interceptor, nothing more happens until
 * someone asks; without it, they are rendered once, after the current activation's other work.
 */
export function detailsChanged(render: () => string): void {
  details.render = render;
  if (details.onQuery || details.due) return;
  details.due = true;
  void Promise.resolve().then(() => {
    details.due = false;
    setCurrentDetails(render());
  });
}
