/**
 * What traces leave out: the messages that only read a run. Queries (a run's state, its stream's items, the Web UI's
 * stack trace), descriptions, and Workflow Streams' poll update, which waits for a run's next stream items. A reader
 * has no trace of its own to join, so each read would be a trace of its own, and a client that follows a run reads
 * several times a second: the console following a few runs would fill the trace store with them. Both sides follow
 * this: the client's interceptor (src/telemetry/tracing.ts) and the workflow's (workflows/traced.ts). Imported by the
 * traced workflow bundle.
 */
import { workflowStreamPollUpdate } from '@temporalio/workflow-streams/workflow';

/** Whether an update of this name only reads the run. */
export const isReadUpdate = (name: string): boolean => name === workflowStreamPollUpdate.name;
