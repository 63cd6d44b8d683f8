/**
 * The demo: the weekly customer-support report over `examples/support-report/support-tickets.csv`.
 * Offline it runs against the scripted model below: a fixed plan, and a report written from the
 * numbers the tools actually returned (read out of the synthesis request).
 */
import { fileURLToPath } from 'node:url';
import type { WirePlan } from '../contract/plan.js';
import type { RecordedRequest, Script } from '../testing/scripted-model.js';
import { stepRows, wireStep, type StepRow as Row } from './requests.js';

/** Directory the demo's tools work in. */
export const DEMO_WORKSPACE = fileURLToPath(new URL('../../examples/support-report/', import.meta.url));

/** The demo's goal. */
export const DEMO_GOAL =
  'Write the weekly customer-support report from support-tickets.csv: count the tickets per intent, find the top ' +
  'intent and how satisfied its customers were compared with everyone, and recommend one thing to do next week.';

const FILE = 'support-tickets.csv';

/** The plan the scripted planner proposes: three independent queries, then two that use their results. */
export const DEMO_PLAN: WirePlan = {
  rationale: 'Count all tickets and tickets per intent in parallel, then size the top intent and compare satisfaction.',
  steps: [
    wireStep('week_total', 'Count this week’s tickets', [], 'data_query', { file: FILE }),
    wireStep('tickets_per_intent', 'Count tickets per intent', [], 'data_query', { file: FILE, groupBy: 'intent' }),
    wireStep('overall_csat', 'Average satisfaction over all tickets', [], 'data_query', {
      file: FILE,
      aggregate: { op: 'avg', field: 'csat' },
    }),
    wireStep(
      'top_intent_share',
      'Share of tickets for the top intent (%)',
      ['week_total', 'tickets_per_intent'],
      'calculator',
      {
        expression: 'round({{tickets_per_intent.groups.0.value}} / {{week_total.value}} * 100, 1)',
      },
    ),
    wireStep('top_intent_csat', 'Average satisfaction for the top intent', ['tickets_per_intent'], 'data_query', {
      file: FILE,
      filter: [{ field: 'intent', op: 'eq', value: '{{tickets_per_intent.groups.0.key}}' }],
      aggregate: { op: 'avg', field: 'csat' },
    }),
  ],
};

const ADVICE: Record<string, string> = {
  billing_refund:
    'add a self-serve refund flow for charges under $50 and a billing FAQ linked from every invoice email',
  login_issue: 'put a "trouble signing in?" guide on the login page and alert on failed-login spikes',
  shipping_delay: 'send proactive delay notices with tracking links before customers ask',
  password_reset: 'make the password-reset email arrive faster and link it from the login error',
  bug_report: 'triage the most-reported bug with engineering and post a status note for affected customers',
};

interface StepRow extends Row {
  output?: { value?: number | null; groups?: Array<{ key: string; value: number }> };
}

/** Writes the demo report from the step results quoted in a synthesis request. */
export function writeDemoReport(request: RecordedRequest): string {
  const rows = stepRows(request) as StepRow[];
  const out = (id: string) => rows.find((r) => r.id === id && r.status === 'succeeded')?.output;
  const total = out('week_total')?.value;
  const groups = out('tickets_per_intent')?.groups ?? [];
  const top = groups[0];
  const share = out('top_intent_share')?.value;
  const topCsat = out('top_intent_csat')?.value;
  const allCsat = out('overall_csat')?.value;
  const label = (key: string) => key.replace(/_/g, ' ');
  const lines = ['# Customer support — weekly report', ''];
  lines.push(`- **${total ?? 'unknown'} tickets** this week.`);
  if (top) lines.push(`- **Top intent: ${label(top.key)}**, ${top.value} tickets (${share ?? '?'}% of all).`);
  lines.push(
    `- Runners-up: ${groups
      .slice(1, 4)
      .map((g) => `${label(g.key)} (${g.value})`)
      .join(', ')}.`,
  );
  if (topCsat != null && allCsat != null) {
    const gap = Math.round((allCsat - topCsat) * 100) / 100;
    lines.push(
      `- Satisfaction for ${label(top?.key ?? 'the top intent')}: ${topCsat.toFixed(2)} / 5 against ${allCsat.toFixed(2)} overall` +
        (gap > 0 ? ` (${gap.toFixed(2)} lower).` : '.'),
    );
  }
  lines.push('', '## Recommendation', '');
  const advice = (top && ADVICE[top.key]) ?? 'look into the top intent’s tickets and remove the most common cause';
  lines.push(
    `Next week, ${advice}: it is the largest source of tickets` +
      (topCsat != null && allCsat != null && topCsat < allCsat ? ' and the least satisfied customers.' : '.'),
  );
  return lines.join('\n');
}

/** The scripted model's script for one demo run. */
export function demoScript(): Script {
  return {
    plan: [{ content: DEMO_PLAN }],
    synthesize: [(request) => ({ content: writeDemoReport(request) })],
  };
}
