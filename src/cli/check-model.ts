/**
 * `planwright check-model` in a terminal: one line a probe, the settings as environment lines, notes, the verdict,
 * and the command's exit code.
 */
import type { ModelCheck } from '../llm/check-model.js';
import { duration } from '../llm/check-model-answers.js';
import type { ProbeStatus } from '../llm/check-model-probes.js';

/**
 * The exit code of `planwright check-model`: 0 planwright can run with the recommended settings, 3 the server
 * cannot be reached, 1 otherwise.
 */
export function modelCheckExitCode(check: ModelCheck): 0 | 1 | 3 {
  if (!check.reachable) return 3;
  return check.runnable ? 0 : 1;
}

const STATUS_LABEL: Record<ProbeStatus, string> = {
  ok: 'ok',
  unsupported: 'unsupported',
  failed: 'FAILED',
  skipped: 'skipped',
};

/** A {@link ModelCheck} for a terminal: one line a probe, the settings as env lines, notes and the verdict. */
export function renderModelCheck(check: ModelCheck): string {
  const width = Math.max(...check.probes.map((p) => p.title.length));
  const lines = [
    `Model server ${check.baseURL}, model "${check.model}"`,
    '',
    ...check.probes.map(
      (p) =>
        `  ${STATUS_LABEL[p.status].padEnd(11)} ${p.title.padEnd(width)} ${duration(p.ms).padStart(7)}  ${p.detail}`,
    ),
  ];
  if (check.settings.length > 0) {
    const envWidth = Math.max(...check.settings.map((s) => s.name.length + s.value.length + 1));
    lines.push('', 'Settings for this server (environment of `planwright worker`):');
    for (const s of check.settings) {
      lines.push(`  ${`${s.name}=${s.value}`.padEnd(envWidth)}  # ${s.changed ? '' : '(as now) '}${s.reason}`);
    }
  }
  if (check.notes.length > 0) lines.push('', 'Notes:', ...check.notes.map((n) => `  - ${n}`));
  lines.push(
    '',
    !check.reachable
      ? `Cannot reach ${check.baseURL}: check OPENAI_BASE_URL and that the server is running.`
      : check.runnable
        ? 'planwright can run against this server with the settings above.'
        : 'planwright cannot run against this server as it is (see the failures above).',
  );
  return lines.join('\n');
}
