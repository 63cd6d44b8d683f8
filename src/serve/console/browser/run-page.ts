/**
 * A run's page: the plan as a graph with its steps' states, what waits for a person (with Approve / Reject), the
 * answer as it is written, the plan's versions with their diffs, and the event log, all folded from the run's
 * stream. The view is kept in sessionStorage after each change, so a reload resumes after the last offset read.
 */
import {
  adoptRunState,
  emptyRunView,
  foldItem,
  needsPlanFromState,
  restoreRunView,
  settle,
  type ConsoleItem,
  type RunView,
  type WaitView,
} from '../view.js';
import type { SseMessage } from '../sse.js';
import { api, ApiError, follow, webUiLink, type ConsoleConfig } from './api.js';
import { h, when } from './dom.js';
import { MARK_SIGNS, planGraph } from './graph.js';

const keyOf = (workflowId: string) => `planwright.run.${workflowId}`;

/** Shows the run `workflowId` in `root` and follows it until `signal` aborts (the person leaves the page). */
export function runPage(
  root: HTMLElement,
  workflowId: string,
  config: ConsoleConfig,
  signal: AbortSignal,
  onAuth: (err: ApiError) => void,
): void {
  let view: RunView = restoreRunView(workflowId, sessionStorage.getItem(keyOf(workflowId))) ?? emptyRunView(workflowId);
  const graph = planGraph((stepId) => {
    const row = root.querySelector<HTMLElement>(`tr[data-step="${CSS.escape(stepId)}"]`);
    row?.focus();
  });
  const status = h('span', { class: 'pill', 'data-testid': 'run-status' });
  const connection = h('span', { class: 'connection', role: 'status', 'data-testid': 'connection' });
  const webUi = webUiLink(config, workflowId);
  const goal = h('p', { class: 'goal' });
  const outcome = h('p', { class: 'outcome', role: 'status', 'data-testid': 'outcome' });
  const planTitle = h('h2', {}, 'Plan');
  const steps = h('tbody');
  const waits = h('div', { class: 'waits', 'data-testid': 'waits' });
  const answer = h('div', { class: 'answer', 'data-testid': 'answer', 'aria-live': 'polite' });
  const versions = h('ol', { class: 'versions', 'data-testid': 'versions' });
  const usage = h('p', { class: 'usage' });
  const log = h('tbody', { 'data-testid': 'log' });
  const logBox = h(
    'div',
    { class: 'log-box', tabindex: 0, 'aria-label': 'Events of the run' },
    h('table', { class: 'log' }, log),
  );
  const graphBox = h('div', { class: 'graph-box' }, graph.element);
  const noPlanYet = h('p', { class: 'none' }, 'The plan shows here once the planner has proposed it.');
  const stepsTable = h(
    'table',
    { class: 'steps' },
    h('thead', {}, h('tr', {}, h('th', {}, 'Step'), h('th', {}, 'State'), h('th', {}, 'Output or error'))),
    steps,
  );

  root.replaceChildren(
    h(
      'div',
      { class: 'run-head' },
      h('a', { href: '#/', class: 'back' }, '← Runs'),
      h('h1', {}, workflowId),
      status,
      webUi
        ? h('a', { href: webUi, target: '_blank', rel: 'noopener', class: 'webui' }, 'Open in Temporal Web UI ↗')
        : undefined,
      connection,
    ),
    goal,
    outcome,
    h(
      'div',
      { class: 'run-grid' },
      h('section', { class: 'plan', 'aria-labelledby': 'plan-title' }, planTitle, noPlanYet, graphBox, stepsTable),
      h(
        'aside',
        {},
        h('section', { 'aria-label': 'Waiting for you' }, h('h2', {}, 'Waiting for you'), waits),
        h('section', { 'aria-label': 'Answer' }, h('h2', {}, 'Answer'), answer),
        h('section', { 'aria-label': 'Plan versions' }, h('h2', {}, 'Plan versions'), versions, usage),
      ),
    ),
    h('section', { class: 'events', 'aria-label': 'Events' }, h('h2', {}, 'Events'), logBox),
  );
  planTitle.id = 'plan-title';

  let logged = -1;
  let scheduled = false;
  const render = () => {
    scheduled = false;
    sessionStorage.setItem(keyOf(workflowId), JSON.stringify(view));
    status.textContent = view.status;
    status.dataset.status = view.status;
    goal.textContent = view.goal;
    planTitle.textContent = view.plans.length ? `Plan v${view.plans.at(-1)?.version}` : 'Plan';
    graph.update(view.steps);
    const noPlan = view.steps.length === 0;
    graphBox.hidden = noPlan;
    stepsTable.hidden = noPlan;
    noPlanYet.hidden = !noPlan;
    noPlanYet.textContent = view.finished
      ? 'No plan: the run ended before one was adopted.'
      : 'The plan shows here once the planner has proposed it.';
    outcome.textContent = view.finished && view.status !== 'completed' ? (view.outcome ?? '') : '';
    steps.replaceChildren(
      ...view.steps.map((s) =>
        h(
          'tr',
          { 'data-step': s.id, 'data-mark': s.mark, tabindex: -1 },
          h(
            'td',
            {},
            h('code', {}, s.id),
            ' ',
            s.title,
            s.change ? h('span', { class: `change change-${s.change}` }, s.change) : undefined,
          ),
          h('td', { class: `mark mark-${s.mark}` }, `${MARK_SIGNS[s.mark]} ${s.mark}`),
          h('td', { class: 'output' }, s.error ?? s.preview ?? s.checked ?? ''),
        ),
      ),
    );
    renderWaits();
    answer.textContent = view.answer || (view.finished ? '(the run finished without an answer)' : 'Not written yet.');
    answer.classList.toggle('empty', !view.answer);
    versions.replaceChildren(
      ...view.plans.map((p) => h('li', {}, h('strong', {}, `v${p.version}`), ' ', p.message, diffOf(p))),
    );
    usage.textContent = view.usage
      ? `${view.usage.llmCalls} model calls · ${view.usage.inputTokens + view.usage.outputTokens} tokens · ${view.usage.toolCalls} tool calls`
      : '';
    const fresh = view.log.filter((l) => l.offset > logged);
    if (fresh.length) {
      const atBottom = logBox.scrollTop + logBox.clientHeight >= logBox.scrollHeight - 4;
      log.append(
        ...fresh.map((l) =>
          h(
            'tr',
            { 'data-offset': l.offset, class: `kind-${l.kind}` },
            h('td', { class: 'offset' }, String(l.offset)),
            h('td', { class: 'at' }, when(l.at)),
            h('td', { class: 'kind' }, h('code', {}, l.kind)),
            h('td', {}, l.message),
          ),
        ),
      );
      logged = fresh.at(-1)!.offset;
      if (atBottom) logBox.scrollTop = logBox.scrollHeight;
    }
  };
  const schedule = () => {
    if (!scheduled) {
      scheduled = true;
      requestAnimationFrame(render);
    }
  };

  /** The wait cards: new ones added, answered ones removed, the others (and what a person typed in them) kept. */
  const renderWaits = () => {
    const keys = new Set(view.waits.map((w) => w.key));
    for (const card of [...waits.querySelectorAll<HTMLElement>('.wait')])
      if (!keys.has(card.dataset.key ?? '')) card.remove();
    for (const wait of view.waits) {
      if (!waits.querySelector(`.wait[data-key="${CSS.escape(wait.key)}"]`)) waits.append(waitCard(wait));
    }
    const none = waits.querySelector('.none');
    if (view.waits.length === 0 && !none) waits.append(h('p', { class: 'none' }, 'Nothing waits for a person.'));
    if (view.waits.length > 0) none?.remove();
  };

  const waitCard = (wait: WaitView): HTMLElement => {
    const error = h('p', { class: 'error', role: 'alert' });
    const card = h('div', { class: 'wait', 'data-key': wait.key, 'data-asked': wait.asked });
    const send = async (path: string, body: unknown) => {
      error.textContent = '';
      const buttons = [...card.querySelectorAll('button')];
      buttons.forEach((b) => (b.disabled = true));
      try {
        await api(`/runs/${encodeURIComponent(workflowId)}/${path}`, body);
        view = settle(view, wait.key);
        schedule();
      } catch (err) {
        if (err instanceof ApiError && err.status === 401) onAuth(err);
        error.textContent = (err as Error).message;
        buttons.forEach((b) => (b.disabled = false));
      }
    };
    if (wait.asked === 'plan-approval') {
      const feedback = h('input', {
        type: 'text',
        placeholder: 'Feedback: what to change, to reject',
        'aria-label': 'Feedback for a rejection',
      });
      card.append(
        h('p', {}, h('strong', {}, `Plan v${wait.version ?? '?'}`), ' awaits your approval.'),
        feedback,
        h(
          'div',
          { class: 'actions' },
          h(
            'button',
            { class: 'approve', onclick: () => void send('approve', { version: wait.version }) },
            'Approve plan',
          ),
          h(
            'button',
            {
              class: 'reject',
              onclick: () => void send('reject', { version: wait.version, feedback: feedback.value }),
            },
            'Reject plan',
          ),
        ),
      );
    } else if (wait.asked === 'tool-call-approval') {
      const original = JSON.stringify(wait.args ?? {}, null, 2);
      const args = h(
        'textarea',
        {
          rows: Math.min(10, original.split('\n').length + 1),
          spellcheck: false,
          'aria-label': `Arguments of ${wait.tool ?? 'the call'} (JSON, editable)`,
        },
        original,
      );
      const reason = h('input', {
        type: 'text',
        placeholder: 'Reason, to reject',
        'aria-label': 'Reason for a rejection',
      });
      const approve = () => {
        let edited: unknown;
        try {
          edited = JSON.parse(args.value);
        } catch (err) {
          error.textContent = `The arguments are not valid JSON: ${(err as Error).message}. Correct them, or reload to start over.`;
          return;
        }
        void send(
          `tool-calls/${encodeURIComponent(wait.callId ?? '')}/approve`,
          args.value.trim() === original.trim() ? {} : { args: edited },
        );
      };
      card.append(
        h(
          'p',
          {},
          'Step ',
          h('code', {}, wait.stepId ?? '?'),
          ' asks to call ',
          h('code', {}, wait.tool ?? '?'),
          ` (call ${wait.callId ?? '?'}):`,
        ),
        h('label', { class: 'args' }, 'Arguments (JSON, editable)', args),
        reason,
        h(
          'div',
          { class: 'actions' },
          h('button', { class: 'approve', onclick: approve }, 'Approve call'),
          h(
            'button',
            {
              class: 'reject',
              onclick: () =>
                void send(`tool-calls/${encodeURIComponent(wait.callId ?? '')}/reject`, { reason: reason.value }),
            },
            'Reject call',
          ),
        ),
      );
    } else {
      const note = h('input', { type: 'text', placeholder: 'Note (optional)', 'aria-label': 'Note with the decision' });
      const decide = (decision: string) =>
        void send('resolve', { stepId: wait.stepId, decision, ...(note.value ? { note: note.value } : {}) });
      card.append(
        h('p', {}, h('strong', {}, `Step ${wait.stepId ?? '?'}`), ' needs a decision: ', wait.message),
        note,
        h(
          'div',
          { class: 'actions' },
          ...['retry', 'skip', 'replan', 'abort'].map((d) => h('button', { onclick: () => decide(d) }, d)),
        ),
      );
    }
    card.append(error);
    return card;
  };

  const onMessage = (message: SseMessage) => {
    if (message.id === undefined || (message.event !== 'events' && message.event !== 'answer')) return;
    const offset = Number(message.id);
    const data = JSON.parse(message.data) as { text?: string; stepId?: string; restart?: boolean };
    const item: ConsoleItem =
      message.event === 'answer'
        ? {
            offset,
            topic: 'answer',
            text: data.text ?? '',
            ...(data.stepId !== undefined ? { stepId: data.stepId } : {}),
            ...(data.restart === true ? { restart: true } : {}),
          }
        : { offset, topic: 'events', event: data as Extract<ConsoleItem, { topic: 'events' }>['event'] };
    view = foldItem(view, item);
    schedule();
    if (needsPlanFromState(item)) void planFromState();
  };

  /** The current plan from the run's state, after a replan whose revision the stream does not list. */
  const planFromState = async () => {
    try {
      view = adoptRunState(
        view,
        await api<Parameters<typeof adoptRunState>[1]>(`/runs/${encodeURIComponent(workflowId)}`),
      );
      schedule();
    } catch (err) {
      if (err instanceof ApiError && err.status === 401) onAuth(err);
      connection.textContent = `could not read the revised plan: ${(err as Error).message}`;
    }
  };

  render();
  if (view.finished) {
    connection.textContent = 'ended';
    return;
  }
  connection.textContent = 'connecting…';
  follow(
    workflowId,
    view.lastOffset + 1,
    {
      onMessage,
      onConnection: (state, err) => {
        connection.textContent = state === 'retrying' ? `reconnecting (${err?.message ?? 'lost'})…` : state;
        connection.dataset.state = state;
      },
    },
    signal,
  ).catch((err: unknown) => {
    if (err instanceof ApiError && err.status === 401) onAuth(err);
    connection.textContent = (err as Error).message;
    connection.dataset.state = 'error';
  });
}

function diffOf(p: RunView['plans'][number]): HTMLElement | undefined {
  const parts = [
    ...p.added.map((id) => h('span', { class: 'added' }, `+ ${id}`)),
    ...p.removed.map((id) => h('span', { class: 'removed' }, `− ${id}`)),
    ...p.changed.map((c) => h('span', { class: 'changed' }, `~ ${c.id} (${c.fields.join(', ')})`)),
  ];
  return parts.length ? h('div', { class: 'diff' }, ...parts) : undefined;
}
