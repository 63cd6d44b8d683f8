/**
 * Tools of a small inventory agent, written as a user of the package writes them: only public exports.
 */
import { z } from 'zod';
import { defineTool, ToolError } from 'planwright';

/** What is in stock. */
export const INVENTORY = [
  { item: 'apples', count: 12 },
  { item: 'pears', count: 5 },
];

/** How many of an item are in stock; an unknown item is a failure no retry fixes. */
export const stock = defineTool({
  name: 'stock',
  description: 'How many of an item are in stock.',
  input: z.object({ item: z.string() }),
  run: ({ item }) => {
    const found = INVENTORY.find((entry) => entry.item === item);
    if (!found) throw new ToolError(`no item "${item}" in the inventory`, false);
    return found;
  },
});

/** The stock of every item, as a table. */
export const stockList = defineTool({
  name: 'stock_list',
  description: 'The stock of every item.',
  input: z.object({}),
  run: () => ({ items: INVENTORY }),
});

/** A tool that runs until the test opens its gate, so a test can act while a step is running. */
export function gated() {
  let open: () => void = () => {};
  const opened = new Promise<void>((resolve) => (open = resolve));
  const tool = defineTool({
    name: 'slow_count',
    description: 'Counts slowly.',
    input: z.object({ item: z.string() }),
    run: async ({ item }) => {
      await opened;
      return { item, count: 1 };
    },
  });
  return { tool, open };
}

/** Orders more of an item: a call that orders more than 10 waits for a person's approval. */
export const reorder = defineTool({
  name: 'reorder',
  description: 'Orders more of an item from the supplier.',
  input: z.object({ item: z.string(), count: z.number().int().positive() }),
  approval: ({ count }) => count > 10,
  run: ({ item, count }) => ({ ordered: { item, count } }),
});
