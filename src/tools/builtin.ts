/**
 * The tools every planwright worker offers.
 */
import { calculator } from './calculator.js';
import { dataQuery } from './data-query.js';
import type { Tool } from './define.js';

/** Built-in tools, in the order the planner sees them. */
export const builtinTools: readonly Tool[] = [dataQuery, calculator];
