/**
 * The tools every planwright worker offers.
 */
import { calculator } from './calculator.js';
import { dataQuery } from './data-query.js';
import type { Tool } from './define.js';
import { listFilesTool, readFileTool, writeFileTool } from './files.js';
import { httpGet } from './http-get.js';
import { sqlQuery } from './sql-query.js';

/** Built-in tools, in the order the planner sees them. */
export const builtinTools: readonly Tool[] = [
  dataQuery,
  sqlQuery,
  calculator,
  readFileTool,
  writeFileTool,
  listFilesTool,
  httpGet,
];
