/**
 * Tools of the research-report agent: a search over a small library of sources and a reader for them. They read
 * `library.json` and `sources/` next to this module (in the worker's workspace), so every run sees the same
 * world: some sources are open, some are behind a paywall, and one was withdrawn.
 *
 *   PLANWRIGHT_TOOLS=./examples/research/tools.ts PLANWRIGHT_WORKSPACE=examples/research npx planwright worker
 */
import { readFile } from 'node:fs/promises';
import { z } from 'zod';
import { defineTool, ToolError, type Tool } from '../../src/index.js';
import { resolveInWorkspace } from '../../src/tools/workspace.js';

interface Source {
  id: string;
  title: string;
  publisher: string;
  year: number;
  keywords: string[];
  access: 'open' | 'paywalled' | 'withdrawn';
  file: string;
}

async function library(workspace: string): Promise<Source[]> {
  const text = await readFile(await resolveInWorkspace(workspace, 'library.json'), 'utf8');
  return (JSON.parse(text) as { sources: Source[] }).sources;
}

/** The words of a text, lower-case, hyphenated words kept whole (`air-source`). */
function words(text: string): string[] {
  return text.toLowerCase().match(/[\p{L}\p{N}]+(?:-[\p{L}\p{N}]+)*/gu) ?? [];
}

const Reference = z.object({ id: z.string(), title: z.string(), publisher: z.string(), year: z.number() });

/** Sources whose keywords and title match at least half of the query's words, best first. */
export const searchSources = defineTool({
  name: 'search_sources',
  description:
    'Searches the library for sources on a topic; returns the best matches (id, title, publisher, year), best first.',
  input: z.object({ query: z.string().min(3).max(300), limit: z.number().int().min(1).max(20).default(5) }),
  output: z.object({ query: z.string(), results: z.array(Reference) }),
  async run({ query, limit }, ctx) {
    const wanted = [...new Set(words(query))];
    const scored = (await library(ctx.workspace)).map((source) => {
      const have = new Set(words(`${source.title} ${source.keywords.join(' ')}`));
      return { source, score: wanted.filter((w) => have.has(w) || have.has(w.replace(/s$/, ''))).length };
    });
    const results = scored
      .filter((s) => s.score * 2 >= wanted.length)
      .sort((a, b) => b.score - a.score) // stable: equal scores keep the library's order
      .slice(0, limit)
      .map(({ source: { id, title, publisher, year } }) => ({ id, title, publisher, year }));
    return { query, results };
  },
});

/** The text of a source: its summary and findings; a paywalled or withdrawn source is a permanent failure. */
export const readSource = defineTool({
  name: 'read_source',
  description: 'Reads one source of the library by id: its summary and its findings, for citing.',
  input: z.object({ id: z.string().min(1).max(100) }),
  output: Reference.extend({ summary: z.string(), findings: z.array(z.string()) }),
  async run({ id }, ctx) {
    const source = (await library(ctx.workspace)).find((s) => s.id === id);
    if (!source) throw new ToolError(`no source "${id}" in the library; search for sources first`, false);
    const cite = `"${source.title}" (${source.publisher}, ${source.year})`;
    if (source.access === 'paywalled') {
      throw new ToolError(`${cite} is behind a paywall: the full text needs a subscription (HTTP 402)`, false);
    }
    if (source.access === 'withdrawn') throw new ToolError(`${cite} was withdrawn by its publisher (HTTP 410)`, false);
    const text = await readFile(await resolveInWorkspace(ctx.workspace, source.file), 'utf8');
    const paragraphs = text.split(/\n\s*\n/).map((p) => p.replace(/\s+/g, ' ').trim());
    const summary = paragraphs.find((p) => !p.startsWith('#') && !p.startsWith('- ')) ?? '';
    const findings = [...text.matchAll(/^- Finding: (.+)$/gm)].map((m) => (m[1] ?? '').trim());
    const { title, publisher, year } = source;
    return { id, title, publisher, year, summary, findings };
  },
});

/** The research agent's tools. */
const tools: Tool[] = [searchSources, readSource];
export default tools;
