/**
 * The console's entry: reads the server's settings, asks for the token once when the API needs one (kept in
 * sessionStorage for this tab), and shows the page the address names: `#/` (runs, `?status=` filters) or
 * `#/runs/<id>`.
 */
import type { ApiError } from './api.js';
import { api, token, type ConsoleConfig } from './api.js';
import { h } from './dom.js';
import { runPage } from './run-page.js';
import { runsPage } from './runs-page.js';

const root = document.getElementById('main')!;
let leave = new AbortController();

function route(config: ConsoleConfig, message = ''): void {
  leave.abort();
  leave = new AbortController();
  if (config.tokenRequired && !token.get()) return tokenForm(config, message);
  const onAuth = (err: ApiError) => {
    token.clear();
    route(config, err.message);
  };
  const hash = location.hash.replace(/^#/, '') || '/';
  const run = /^\/runs\/(.+)$/.exec(hash);
  if (run) return runPage(root, decodeURIComponent(run[1]!), config, leave.signal, onAuth);
  const status = new URLSearchParams(hash.split('?')[1] ?? '').get('status') ?? '';
  runsPage(root, status, config, leave.signal, onAuth);
}

function tokenForm(config: ConsoleConfig, message: string): void {
  const input = h('input', { id: 'token', type: 'password', autocomplete: 'off', required: true });
  root.replaceChildren(
    h(
      'form',
      {
        class: 'token',
        onsubmit: (e: Event) => {
          e.preventDefault();
          token.set(input.value.trim());
          route(config);
        },
      },
      h('h1', {}, 'Sign in'),
      h(
        'p',
        {},
        'This server needs its token (PLANWRIGHT_SERVE_TOKEN). It is kept in this tab only, until you close it.',
      ),
      h('label', { for: 'token' }, 'Token'),
      input,
      h('button', { type: 'submit' }, 'Continue'),
      h('p', { class: 'error', role: 'alert' }, message),
    ),
  );
  input.focus();
}

async function boot(): Promise<void> {
  try {
    const config = await api<ConsoleConfig>('/console/config.json');
    addEventListener('hashchange', () => route(config));
    route(config);
  } catch (err) {
    root.replaceChildren(
      h('p', { class: 'error', role: 'alert' }, `The console cannot reach the server: ${(err as Error).message}`),
    );
  }
}

void boot();
