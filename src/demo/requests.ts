/**
 * What the demos' scripted model reads from a request, so that its answers follow from what the tools really
 * returned; and the wire format of the plans it writes.
 */
import type { WirePlan } from '../contract/plan.js';
import type { RecordedRequest } from '../testing/scripted-model.js';

/** One step's outcome as a synthesis or replan request quotes it. */
export interface StepRow {
  id: string;
  title?: string;
  status: string;
  output?: unknown;
  error?: string;
}

/** The text of a request's messages, joined. */
function promptOf(request: RecordedRequest): string {
  return request.messages.map((m) => (typeof m.content === 'string' ? m.content : '')).join('\n');
}

/**
 * The step results a synthesis or replan request quotes (its first JSON block).
 * @throws {Error} when the request quotes none (the script was given the wrong request).
 */
export function stepRows(request: RecordedRequest): StepRow[] {
  const block = /```json\n([\s\S]*?)\n```/.exec(promptOf(request))?.[1];
  if (!block) throw new Error(`the ${request.phase} request carries no step results`);
  return JSON.parse(block) as StepRow[];
}

/** The failure a replan request is about, if any. */
export function failureIn(request: RecordedRequest): { stepId?: string; message: string } | undefined {
  const match = /^What failed: (?:step "([^"]+)": )?(.+)$/m.exec(promptOf(request));
  if (!match) return undefined;
  return { ...(match[1] ? { stepId: match[1] } : {}), message: match[2] ?? '' };
}

/** A plan step in the wire format a planner writes (arguments as JSON text). */
export function wireStep(
  id: string,
  title: string,
  dependsOn: string[],
  tool: string,
  args: object,
  fallback?: { tool: string; args: object },
): WirePlan['steps'][number] {
  return {
    id,
    title,
    description: null,
    dependsOn,
    tool,
    args: JSON.stringify(args),
    successCriterion: null,
    critical: null,
    fallback: fallback ? { tool: fallback.tool, args: JSON.stringify(fallback.args) } : null,
  };
}
