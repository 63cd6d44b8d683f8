/**
 * Commands about a run's live stream: `watch` follows it as it happens (NDJSON events under `--json`), and
 * `serve` offers runs over HTTP (src/serve/app.ts).
 */
import { serve as listen } from '@hono/node-server';
import { client, exitCodeOf, integer, one, tcpPort, type CommandContext } from '../command.js';
import { UsageError } from '../errors.js';
import { endedState, workerPolling } from '../read-state.js';
import { renderSummary } from '../render.js';
import { createApi } from '../../serve/app.js';
import { defaultWebUi } from '../../serve/console.js';
import type { RunStreamEvent } from '../../stream/events.js';
import { followRun } from '../../stream/follow.js';

/** `planwright watch`: a run's events as they happen, from `--from N` on, until it ends. */
export async function watch({ values, positionals, json, print, out, follow }: CommandContext): Promise<number> {
  const id = one(positionals, 'workflow id');
  const from = integer(values.from, 'from') ?? 0;
  const { client: c } = await client();
  const handle = c.workflow.getHandle(id);
  const description = await handle.describe();
  if (description.status.name === 'RUNNING' && (await workerPolling(handle, description.taskQueue)) === false) {
    follow(
      `… no worker is polling task queue "${description.taskQueue}"; the run waits until one does. ` +
        'Start one with `planwright worker` (or `planwright dev`).',
    );
  }
  // Whose text is being printed: the run's answer ('') or a step's prose (its id); undefined between texts.
  let answering: string | undefined;
  for await (const item of followRun(c, id, { from })) {
    if (json) print(JSON.stringify(item));
    else if (item.topic === 'answer') {
      const whose = item.chunk.stepId ?? '';
      if (answering !== whose) {
        if (answering !== undefined) process.stdout.write('\n');
        process.stdout.write(whose ? `     ${whose} writes: ` : '     answer: ');
      }
      if (item.chunk.restart) process.stdout.write('\n     (cut off at the output limit; written again, shorter) ');
      process.stdout.write(item.chunk.text);
      answering = whose;
    } else if (item.event.kind !== 'usage') {
      if (answering !== undefined) process.stdout.write('\n');
      answering = undefined;
      print(eventLine(item.offset, item.event));
    }
  }
  const state = await endedState(handle);
  if (!json) out(`\n${renderSummary(state)}`, state);
  return exitCodeOf(state);
}

/** One event, in one line for people. */
function eventLine(offset: number, event: RunStreamEvent): string {
  const time = event.at.slice(11, 19);
  const kind = event.kind === 'note' ? event.type : event.kind;
  return `${String(offset).padStart(4)} ${time} ${kind.padEnd(15)} ${event.message.split('\n')[0]}`;
}

/** Hosts that only this machine reaches. */
const LOOPBACK = ['127.0.0.1', '::1', 'localhost'];

/** `planwright serve`: the HTTP API (and console) for runs, until Ctrl-C. */
export async function serve({ values, follow }: CommandContext): Promise<number> {
  const token = process.env.PLANWRIGHT_SERVE_TOKEN || undefined;
  const host = values.host ?? '127.0.0.1';
  if (!token && !LOOPBACK.includes(host)) {
    throw new UsageError(
      `serving on ${host} needs a token: set PLANWRIGHT_SERVE_TOKEN, or serve on 127.0.0.1 (the default)`,
      { help: false },
    );
  }
  const port = tcpPort(values.port, 'port') ?? 8787;
  const corsOrigins = (values.cors ?? process.env.PLANWRIGHT_SERVE_CORS ?? '').split(',').filter(Boolean);
  const { client: c, config } = await client();
  const webUi = values['web-ui'] ?? process.env.PLANWRIGHT_WEB_UI ?? defaultWebUi(config.address);
  const app = createApi({
    client: c,
    taskQueue: config.taskQueue,
    ...(token ? { token } : {}),
    corsOrigins,
    ...(webUi ? { webUi } : {}),
  });
  const server = listen({ fetch: app.fetch, hostname: host, port });
  follow(`serving runs of task queue "${config.taskQueue}" on http://${host}:${port} (Ctrl-C stops)`);
  follow(
    `console: http://${host.includes(':') ? `[${host}]` : host}:${port}/${webUi ? ` · Web UI links to ${webUi}` : ''}`,
  );
  await new Promise<void>((resolve) => {
    process.once('SIGINT', resolve);
    process.once('SIGTERM', resolve);
  });
  await new Promise((resolve) => server.close(resolve));
  return 0;
}
