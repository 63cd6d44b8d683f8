/** The runs page: recent runs (filtered by status), refreshed every few seconds, and a form to start one. */
import { RUN_STATUSES, type RunStatus } from '../../../contract/run-state.js';
import { api, ApiError, webUiLink, type ConsoleConfig } from './api.js';
import { h, when } from './dom.js';

interface Listed {
  workflowId: string;
  status: string;
  startTime: string;
}

/** The statuses a person can filter by: planwright's own, then Temporal's for runs that never set one. */
const STATUSES: (RunStatus | 'terminated' | 'timed_out')[] = [...RUN_STATUSES, 'terminated', 'timed_out'];

/** Shows the runs in `root` (status filter `status`), refreshing until `signal` aborts. */
export function runsPage(
  root: HTMLElement,
  status: string,
  config: ConsoleConfig,
  signal: AbortSignal,
  onAuth: (err: ApiError) => void,
): void {
  const filter = h(
    'select',
    {
      id: 'status-filter',
      onchange: () => (location.hash = filter.value ? `#/?status=${encodeURIComponent(filter.value)}` : '#/'),
    },
    h('option', { value: '' }, 'all'),
    ...STATUSES.map((s) => h('option', { value: s, selected: s === status }, s)),
  );
  const rows = h('tbody', { 'data-testid': 'runs' });
  const error = h('p', { class: 'error', role: 'alert' });
  const goal = h('textarea', { id: 'goal', rows: 2, placeholder: 'What should the run do?' });
  const approval = h(
    'select',
    { id: 'approval' },
    h('option', { value: 'plan' }, 'approve the plan first'),
    h('option', { value: 'none' }, 'no approval'),
    h('option', { value: 'replans' }, 'approve the plan and its replans'),
  );
  const startError = h('p', { class: 'error', role: 'alert' });
  const start = async (e: Event) => {
    e.preventDefault();
    startError.textContent = '';
    try {
      const { workflowId } = await api<{ workflowId: string }>('/runs', { goal: goal.value, approval: approval.value });
      location.hash = `#/runs/${encodeURIComponent(workflowId)}`;
    } catch (err) {
      if (err instanceof ApiError && err.status === 401) onAuth(err);
      startError.textContent = (err as Error).message;
    }
  };
  root.replaceChildren(
    h('h1', {}, 'Runs'),
    h(
      'div',
      { class: 'runs-grid' },
      h(
        'section',
        { 'aria-label': 'Runs' },
        h(
          'div',
          { class: 'toolbar' },
          h('label', { for: 'status-filter' }, 'Status '),
          filter,
          h('button', { onclick: () => void load() }, 'Refresh'),
        ),
        error,
        h(
          'table',
          { class: 'runs' },
          h(
            'thead',
            {},
            h('tr', {}, h('th', {}, 'Run'), h('th', {}, 'Status'), h('th', {}, 'Started'), h('th', {}, '')),
          ),
          rows,
        ),
      ),
      h(
        'form',
        { class: 'start', onsubmit: (e: Event) => void start(e), 'aria-label': 'Start a run' },
        h('h2', {}, 'Start a run'),
        h('label', { for: 'goal' }, 'Goal'),
        goal,
        h('label', { for: 'approval' }, 'Approval'),
        approval,
        h('button', { type: 'submit' }, 'Start'),
        startError,
      ),
    ),
  );
  const load = async () => {
    try {
      const { runs } = await api<{ runs: Listed[] }>(`/runs${status ? `?status=${encodeURIComponent(status)}` : ''}`);
      error.textContent = '';
      rows.replaceChildren(
        ...(runs.length
          ? runs.map((r) => {
              const link = webUiLink(config, r.workflowId);
              return h(
                'tr',
                { 'data-run': r.workflowId },
                h('td', {}, h('a', { href: `#/runs/${encodeURIComponent(r.workflowId)}` }, r.workflowId)),
                h('td', {}, h('span', { class: 'pill', 'data-status': r.status }, r.status)),
                h('td', {}, when(r.startTime)),
                h('td', {}, link ? h('a', { href: link, target: '_blank', rel: 'noopener' }, 'Web UI ↗') : ''),
              );
            })
          : [h('tr', {}, h('td', { colspan: 4, class: 'none' }, status ? `No ${status} runs.` : 'No runs yet.'))]),
      );
    } catch (err) {
      if (err instanceof ApiError && err.status === 401) onAuth(err);
      error.textContent = (err as Error).message;
    }
  };
  void load();
  const timer = setInterval(() => void load(), 5000);
  signal.addEventListener('abort', () => clearInterval(timer));
}
