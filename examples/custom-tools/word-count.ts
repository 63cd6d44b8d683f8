/**
 * An example of a custom tool module: point PLANWRIGHT_TOOLS at this file and the stock worker offers
 * `word_count` next to the built-in tools.
 *
 *   PLANWRIGHT_TOOLS=./examples/custom-tools/word-count.ts npx planwright worker
 */
import { z } from 'zod';
import { defineTool } from '../../src/index.js';

export const wordCount = defineTool({
  name: 'word_count',
  description: 'Counts the words in a text, and how often the most common ones appear.',
  input: z.object({ text: z.string().max(1_000_000), top: z.number().int().min(0).max(50).default(3) }),
  output: z.object({ words: z.number(), top: z.array(z.object({ word: z.string(), count: z.number() })) }),
  callOptions: { timeout: '10s', retry: { maximumAttempts: 2 } },
  run({ text, top }) {
    const words = text.toLowerCase().match(/[\p{L}\p{N}']+/gu) ?? [];
    const counts = new Map<string, number>();
    for (const word of words) counts.set(word, (counts.get(word) ?? 0) + 1);
    const ranked = [...counts].sort((a, b) => b[1] - a[1] || a[0].localeCompare(b[0])).slice(0, top);
    return { words: words.length, top: ranked.map(([word, count]) => ({ word, count })) };
  },
});
