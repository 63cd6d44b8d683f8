/**
 * Tool sources outside the worker (MCP server connections): closed when the worker that offers their tools stops.
 */
import type { WorkerPlugin } from '@temporalio/worker';
import type { Tool, ToolSource } from './define.js';

/** The distinct sources behind a list of tools. */
export function toolSources(tools: readonly Tool[]): ToolSource[] {
  return [...new Set(tools.flatMap((tool) => (tool.source ? [tool.source] : [])))];
}

/** Closes every source behind the tools; one that fails to close does not keep the others open. */
export async function closeToolSources(tools: readonly Tool[]): Promise<void> {
  await Promise.allSettled(toolSources(tools).map((source) => source.close()));
}

/**
 * A worker plugin that closes the tools' sources once the worker has stopped running (shut down by a
 * signal, by `runUntil`, or failed).
 */
export function closeSourcesOnShutdown(tools: readonly Tool[]): WorkerPlugin {
  return {
    name: 'planwright-tool-sources',
    async runWorker(worker, next) {
      try {
        await next(worker);
      } finally {
        await closeToolSources(tools);
      }
    },
  };
}
