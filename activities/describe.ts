/**
 * What a worker offers a run: what a run keeps of its tools, and the search attributes it may set. A run learns it
 * from `describeWorker`, or from its first planning call, which describes the worker when asked to.
 */
import type { ToolInfo } from '../src/contract/tools.js';
import { summarizeTool, type ToolSummary } from '../src/contract/tools.js';

/**
 * A request as the workflow sends it: the worker's own tool catalog stands in for `tools` (runs started before
 * that rule still send the tools they were told of; the catalog is used all the same).
 */
export type WithWorkerTools<T extends { tools: unknown }> = Omit<T, 'tools'> & { tools?: readonly ToolSummary[] };

/**
 * Asks a planning activity to describe the worker too, when the run does not know it yet: the run learns its
 * tools with its first planning call instead of a call of its own (runs started before ask `describeWorker`).
 */
export interface Describe {
  describe?: boolean;
}
/** What a planning activity asked to {@link Describe} the worker answers with. */
export interface Described {
  worker?: DescribeWorkerOutput;
}

/** Output of `describeWorker`: what this worker offers a run. */
export interface DescribeWorkerOutput {
  tools: ToolSummary[];
  searchAttributes: string[];
}

/** Describes a worker with this catalog and these search attributes. */
export interface WorkerDescription {
  /** What this worker offers a run. */
  describeWorker(): DescribeWorkerOutput;
  /** The worker's description, when a planning activity was asked for it. */
  described(request: Describe): Described;
}

/** The description of a worker with `catalog` whose server has `searchAttributes` registered. */
export function workerDescription(
  catalog: readonly ToolInfo[],
  searchAttributes: readonly string[],
): WorkerDescription {
  const describeWorker = (): DescribeWorkerOutput => ({
    tools: catalog.map(summarizeTool),
    searchAttributes: [...searchAttributes],
  });
  return { describeWorker, described: ({ describe }) => (describe ? { worker: describeWorker() } : {}) };
}
