/**
 * The research-report demo: a brief on cold-climate heat pumps from three sources of `examples/research/`. Two
 * sources can be read; the third candidate is behind a paywall, and so are (or were withdrawn) the ones the
 * replanner tries after it. The replanner is bounded by `maxReplans`: when it runs out, the run ends partial with
 * an honest brief that says what is missing. With `escalation: 'human'` a person is asked about each source that
 * failed, and last of all when the replans are used up. Offline it runs against the scripted model below.
 */
import { fileURLToPath } from 'node:url';
import type { WirePlan } from '../contract/plan.js';
import type { ResolvedRunInput } from '../contract/run-input.js';
import type { RunState } from '../contract/run-state.js';
import type { RecordedRequest, Script, ScriptedReply } from '../testing/scripted-model.js';
import type { ResolveEscalation } from '../../workflows/messages.js';
import { failureIn, stepRows, wireStep } from './requests.js';

/** Directory the research tools read the library from. */
export const RESEARCH_WORKSPACE = fileURLToPath(new URL('../../examples/research/', import.meta.url));

/** How many independent sources the brief should rest on. */
export const SOURCES_WANTED = 3;

/** The research demo's goal. */
export const RESEARCH_GOAL =
  'Write a short research brief on how well air-source heat pumps heat homes in cold climates, based on ' +
  `${SOURCES_WANTED} independent sources from the library, citing each.`;

/** Replans the demo allows: fewer than the candidates that fail, so the replanner runs out. */
export const RESEARCH_MAX_REPLANS = 2;

const read = (n: number) =>
  wireStep(`read_${n + 1}`, `Read source ${n + 1}`, ['search'], 'read_source', { id: `{{search.results.${n}.id}}` });

/** The plan the scripted planner proposes: search, then read the top three results in parallel. */
export const RESEARCH_PLAN: WirePlan = {
  rationale: 'Search the library once, then read the three best matches side by side.',
  steps: [
    wireStep('search', 'Search the library', [], 'search_sources', {
      query: 'air-source heat pump performance in cold climates',
      limit: 5,
    }),
    ...Array.from({ length: SOURCES_WANTED }, (_, n) => read(n)),
  ],
};

/**
 * The scripted replanner: a source that cannot be read is replaced by the next search result not tried yet
 * (the failed step `read_N` read result N - 1); with none left, it finishes with what was read.
 */
export function replanResearch(request: RecordedRequest): ScriptedReply {
  const failure = failureIn(request);
  const tried = Number(/^read_(\d+)$/.exec(failure?.stepId ?? '')?.[1] ?? NaN);
  const results = (stepRows(request).find((r) => r.id === 'search')?.output as { results?: unknown[] })?.results ?? [];
  if (!Number.isInteger(tried) || tried >= results.length) {
    const reason = 'no search result is left to try';
    return {
      content: {
        action: 'finish',
        reason,
        answer: `The brief could not use ${SOURCES_WANTED} sources: ${reason}.`,
        steps: null,
      },
    };
  }
  const reason = `source ${tried} cannot be read (${failure?.message ?? 'it failed'}); read search result ${tried + 1} instead`;
  return { content: { action: 'revise', reason, answer: null, steps: [read(tried)] } };
}

interface Read {
  id: string;
  title: string;
  publisher: string;
  year: number;
  summary: string;
  findings: string[];
}

/**
 * Writes the brief from the step results quoted in a synthesis request: the findings of each source read, cited,
 * and, when fewer than {@link SOURCES_WANTED} could be read, what is missing and why.
 */
export function writeBrief(request: RecordedRequest): string {
  const rows = stepRows(request).filter((r) => r.id.startsWith('read_'));
  const sources = rows.filter((r) => r.status === 'succeeded').map((r) => r.output as Read);
  const missing = rows.filter((r) => r.status !== 'succeeded');
  const why = /The run could not finish: (.+)/.exec(
    request.messages.map((m) => (typeof m.content === 'string' ? m.content : '')).join('\n'),
  )?.[1];
  const lines = ['# Air-source heat pumps in cold climates: a brief', ''];
  if (sources.length < SOURCES_WANTED) {
    lines.push(
      `**Partial:** this brief rests on ${sources.length} of the ${SOURCES_WANTED} independent sources asked for.`,
      '',
    );
  }
  sources.forEach((source, i) => {
    lines.push(`## [${i + 1}] ${source.title}`, '', source.summary, '');
    for (const finding of source.findings) {
      lines.push(`- ${finding.charAt(0).toUpperCase()}${finding.slice(1)} [${i + 1}]`);
    }
    lines.push('');
  });
  if (missing.length > 0 || why) {
    lines.push('## What is missing', '');
    for (const row of missing) lines.push(`- ${row.title ?? row.id} (${row.status}): ${row.error ?? 'not read'}`);
    if (why?.endsWith('no replans left')) lines.push('- No replans were left to look for another source.');
    else if (why && missing.length === 0) lines.push(`- ${why}`);
    lines.push('');
  }
  lines.push('## Sources', '');
  sources.forEach((s, i) => lines.push(`${i + 1}. ${s.title}. ${s.publisher}, ${s.year}.`));
  return lines.join('\n').trimEnd();
}

/** The scripted model's script for one research run: a plan, as many replans as it may ask for, and the brief. */
export function researchScript(maxReplans = RESEARCH_MAX_REPLANS): Script {
  return {
    plan: [{ content: RESEARCH_PLAN }],
    replan: Array.from({ length: maxReplans }, () => replanResearch),
    synthesize: [(request) => ({ content: writeBrief(request) })],
  };
}

/**
 * How the demo answers for the person it asks about a failed source: replan while replans are left, then go on
 * without the source.
 */
export function decideResearch(state: RunState, input: ResolvedRunInput): Omit<ResolveEscalation, 'stepId'> {
  return input.maxReplans - state.replans > 0
    ? { decision: 'replan', note: 'try the next search result' }
    : { decision: 'skip', note: 'no replans left: write the brief from the sources that could be read' };
}
