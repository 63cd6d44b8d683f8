/**
 * The evaluation's report: per model and suite, the share of tasks planned validly at the first answer and after
 * revisions, NESTFUL's mean scores, and model calls, tokens, cost and time; with whole runs, their share of successes
 * and their own usage; as JSON, a Markdown table, and an SVG chart of the scores per model.
 */
import type { SequenceScores } from './score.js';
import type { TaskResult } from './run.js';

/** One row of the report: a model on a suite. */
export interface ReportRow {
  model: string;
  suite: string;
  tasks: number;
  /** Share of tasks whose first answer was a valid plan. */
  validFirst: number;
  /** Share of tasks with a valid plan within the revisions. */
  valid: number;
  /** Mean NESTFUL scores over the tasks with a gold sequence; absent when none has one. */
  scores?: SequenceScores;
  llmCalls: number;
  inputTokens: number;
  outputTokens: number;
  /** Mean input tokens of the planner's requests per task. */
  inputTokensPerTask: number;
  /** Estimated cost in US dollars, when the model has a price. */
  cost?: number;
  /** Total planning time, in seconds. */
  seconds: number;
  /** Whole runs, when the evaluation ran them: their share of successes and their own usage. */
  runs?: RunRow;
}

/** The whole runs of a model on a suite. */
export interface RunRow {
  /** Tries run whole. */
  count: number;
  /** Share of them that succeeded. */
  success: number;
  llmCalls: number;
  inputTokens: number;
  outputTokens: number;
  toolCalls: number;
  cost?: number;
  /** Total time of the runs, in seconds, by the server's clock. */
  seconds: number;
}

/** The runs of a group of results, or undefined when none was run. */
function runRow(group: readonly TaskResult[]): RunRow | undefined {
  const runs = group.flatMap((r) => (r.run ? [r.run] : []));
  if (runs.length === 0) return undefined;
  const sum = (pick: (r: (typeof runs)[number]) => number) => runs.reduce((total, r) => total + pick(r), 0);
  const cost = sum((r) => r.usage.cost ?? 0);
  return {
    count: runs.length,
    success: mean(runs.map((r) => (r.success ? 1 : 0))),
    llmCalls: sum((r) => r.usage.llmCalls),
    inputTokens: sum((r) => r.usage.inputTokens),
    outputTokens: sum((r) => r.usage.outputTokens),
    toolCalls: sum((r) => r.usage.toolCalls),
    ...(cost > 0 ? { cost } : {}),
    seconds: Math.round(sum((r) => r.ms) / 100) / 10,
  };
}

const SCORE_KEYS = ['toolsF1', 'argsF1', 'partialSequence', 'fullSequence', 'references'] as const;
const mean = (values: readonly number[]) =>
  values.length === 0 ? 0 : values.reduce((a, b) => a + b, 0) / values.length;

/** The report's rows, one per model and suite, in the order first seen. */
export function reportRows(results: readonly TaskResult[]): ReportRow[] {
  const groups = new Map<string, TaskResult[]>();
  for (const r of results) {
    const key = `${r.model}\u0000${r.suite}`;
    groups.set(key, [...(groups.get(key) ?? []), r]);
  }
  return [...groups.values()].map((group) => {
    const first = group[0]!;
    const scored = group.flatMap((r) => (r.scores ? [r.scores] : []));
    const sum = (pick: (r: TaskResult) => number) => group.reduce((total, r) => total + pick(r), 0);
    const cost = sum((r) => r.usage.cost ?? 0);
    const runs = runRow(group);
    return {
      model: first.model,
      suite: first.suite,
      tasks: group.length,
      validFirst: mean(group.map((r) => (r.validFirst ? 1 : 0))),
      valid: mean(group.map((r) => (r.valid ? 1 : 0))),
      ...(scored.length > 0
        ? {
            scores: Object.fromEntries(
              SCORE_KEYS.map((k) => [k, mean(scored.map((s) => s[k]))]),
            ) as unknown as SequenceScores,
          }
        : {}),
      llmCalls: sum((r) => r.usage.llmCalls),
      inputTokens: sum((r) => r.usage.inputTokens),
      outputTokens: sum((r) => r.usage.outputTokens),
      inputTokensPerTask: Math.round(sum((r) => r.usage.inputTokens) / group.length),
      ...(cost > 0 ? { cost } : {}),
      seconds: Math.round(sum((r) => r.ms) / 100) / 10,
      ...(runs ? { runs } : {}),
    };
  });
}

const percent = (share: number | undefined) => (share === undefined ? '–' : `${(share * 100).toFixed(1)} %`);

/** The rows as a Markdown table. */
export function markdownTable(rows: readonly ReportRow[]): string {
  const head =
    '| model | suite | tasks | valid (1st answer) | valid (after revisions) | F1 tools | F1 args | partial seq. | full seq. | refs resolved | calls | tokens in / out | in per task | cost | time | runs | run success | run calls | run tokens in / out | run time |';
  const lines = rows.map((r) =>
    [
      r.model,
      r.suite,
      r.tasks,
      percent(r.validFirst),
      percent(r.valid),
      percent(r.scores?.toolsF1),
      percent(r.scores?.argsF1),
      percent(r.scores?.partialSequence),
      percent(r.scores?.fullSequence),
      percent(r.scores?.references),
      r.llmCalls,
      `${r.inputTokens} / ${r.outputTokens}`,
      r.inputTokensPerTask,
      r.cost === undefined ? '–' : `$${r.cost.toFixed(4)}`,
      `${r.seconds} s`,
      r.runs?.count ?? '–',
      percent(r.runs?.success),
      r.runs?.llmCalls ?? '–',
      r.runs ? `${r.runs.inputTokens} / ${r.runs.outputTokens}` : '–',
      r.runs ? `${r.runs.seconds} s` : '–',
    ].join(' | '),
  );
  return [head, `|${'---|'.repeat(20)}`, ...lines.map((l) => `| ${l} |`)].join('\n') + '\n';
}

const CHART_METRICS: ReadonlyArray<[string, (r: ReportRow) => number | undefined]> = [
  ['valid 1st', (r) => r.validFirst],
  ['valid', (r) => r.valid],
  ['F1 tools', (r) => r.scores?.toolsF1],
  ['F1 args', (r) => r.scores?.argsF1],
  ['partial', (r) => r.scores?.partialSequence],
  ['full', (r) => r.scores?.fullSequence],
  ['refs', (r) => r.scores?.references],
  ['run ok', (r) => r.runs?.success],
];

const PALETTE = ['#4e79a7', '#f28e2b', '#59a14f', '#e15759', '#76b7b2', '#edc948', '#b07aa1', '#9c755f'];
const escape = (text: string) => text.replace(/[<>&"]/g, (c) => `&#${c.charCodeAt(0)};`);

/** An SVG bar chart: one group per model and suite, one bar per metric, from 0 to 100 %. */
export function svgChart(rows: readonly ReportRow[]): string {
  const bar = 14;
  const group = CHART_METRICS.length * bar + 24;
  const left = 40;
  const height = 220;
  const top = 30;
  const width = left + Math.max(1, rows.length) * group + 20;
  const y = (share: number) => top + height - share * height;
  const parts: string[] = [
    `<svg xmlns="http://www.w3.org/2000/svg" width="${width}" height="${top + height + 70}" font-family="sans-serif" font-size="10">`,
    `<text x="${left}" y="16" font-size="12">planwright eval: scores per model and suite</text>`,
  ];
  for (const tick of [0, 0.25, 0.5, 0.75, 1])
    parts.push(
      `<line x1="${left}" x2="${width - 10}" y1="${y(tick)}" y2="${y(tick)}" stroke="#ddd"/>`,
      `<text x="${left - 4}" y="${y(tick) + 3}" text-anchor="end">${tick * 100}%</text>`,
    );
  rows.forEach((row, g) => {
    const x0 = left + g * group + 12;
    CHART_METRICS.forEach(([name, pick], m) => {
      const share = pick(row);
      if (share === undefined) return;
      parts.push(
        `<rect x="${x0 + m * bar}" y="${y(share)}" width="${bar - 2}" height="${share * height}" fill="${PALETTE[m]}"><title>${escape(`${row.model} ${row.suite} ${name}: ${(share * 100).toFixed(1)} %`)}</title></rect>`,
      );
    });
    parts.push(
      `<text x="${x0}" y="${top + height + 14}">${escape(row.model)}</text>`,
      `<text x="${x0}" y="${top + height + 26}" fill="#666">${escape(row.suite)}</text>`,
    );
  });
  CHART_METRICS.forEach(([name], m) => {
    const x = left + m * 70;
    parts.push(
      `<rect x="${x}" y="${top + height + 40}" width="10" height="10" fill="${PALETTE[m]}"/>`,
      `<text x="${x + 14}" y="${top + height + 49}">${name}</text>`,
    );
  });
  parts.push('</svg>');
  return `${parts.join('\n')}\n`;
}
