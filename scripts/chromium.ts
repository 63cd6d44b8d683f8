/**
 * Headless Chromium driven over the DevTools protocol on a pipe (`--remote-debugging-pipe`: commands on fd 3,
 * answers on fd 4, each a JSON message ended by a NUL byte), so no WebSocket client is needed. Used instead of
 * `chromium --screenshot --virtual-time-budget`, which never returns on the page of a running workflow: the
 * UI keeps a long poll open there, and virtual time does not pass while a request is in flight.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { writeFile } from 'node:fs/promises';
import type { Readable, Writable } from 'node:stream';

/** A DevTools protocol answer or event. */
interface Message {
  id?: number;
  result?: Record<string, unknown>;
  error?: { message: string };
}

/** A headless Chromium. */
export interface Chromium {
  /** Opens `url` in a new tab of the given size. */
  open(url: string, size: { width: number; height: number }): Promise<Tab>;
  close(): Promise<void>;
}

/** A tab of {@link Chromium}. */
export interface Tab {
  /** Evaluates a JavaScript expression in the page and returns its (JSON) value. */
  evaluate<T>(expression: string): Promise<T>;
  /** Waits until `expression` is truthy in the page. @throws {Error} after `timeoutMs`. */
  waitFor(expression: string, timeoutMs: number): Promise<void>;
  /** Saves what the tab shows as a PNG, or only the part in `clip` (page pixels). */
  screenshot(file: string, clip?: { x: number; y: number; width: number; height: number }): Promise<void>;
  close(): Promise<void>;
}

/**
 * Starts headless Chromium with an empty profile in `profile`.
 * @example const chromium = await launchChromium('/usr/bin/chromium', '/tmp/profile');
 */
export async function launchChromium(executable: string, profile: string): Promise<Chromium> {
  const child: ChildProcess = spawn(
    executable,
    [
      '--headless=new',
      '--disable-gpu',
      '--no-sandbox',
      '--hide-scrollbars',
      '--remote-debugging-pipe',
      `--user-data-dir=${profile}`,
      'about:blank',
    ],
    { stdio: ['ignore', 'ignore', 'ignore', 'pipe', 'pipe'] },
  );
  const input = child.stdio[3] as Writable;
  const output = child.stdio[4] as Readable;
  const pending = new Map<number, { resolve: (m: Message) => void; reject: (e: Error) => void }>();
  let next = 1;
  let buffered = '';
  output.setEncoding('utf8');
  output.on('data', (chunk: string) => {
    buffered += chunk;
    let end: number;
    while ((end = buffered.indexOf('\0')) >= 0) {
      const message = JSON.parse(buffered.slice(0, end)) as Message;
      buffered = buffered.slice(end + 1);
      const waiter = message.id === undefined ? undefined : pending.get(message.id);
      if (!waiter || message.id === undefined) continue;
      pending.delete(message.id);
      if (message.error) waiter.reject(new Error(message.error.message));
      else waiter.resolve(message);
    }
  });
  child.once('exit', () => {
    for (const waiter of pending.values()) waiter.reject(new Error('Chromium exited'));
    pending.clear();
  });
  const send = async <T = Record<string, unknown>>(
    method: string,
    params: object = {},
    sessionId?: string,
  ): Promise<T> => {
    const id = next++;
    const answer = new Promise<Message>((resolve, reject) => pending.set(id, { resolve, reject }));
    input.write(`${JSON.stringify({ id, method, params, ...(sessionId ? { sessionId } : {}) })}\0`);
    return (await answer).result as T;
  };
  await send('Browser.getVersion');

  return {
    async open(url, { width, height }) {
      const { targetId } = await send<{ targetId: string }>('Target.createTarget', { url: 'about:blank' });
      const { sessionId } = await send<{ sessionId: string }>('Target.attachToTarget', { targetId, flatten: true });
      const call = <T>(method: string, params: object = {}) => send<T>(method, params, sessionId);
      await call('Emulation.setDeviceMetricsOverride', { width, height, deviceScaleFactor: 1, mobile: false });
      await call('Page.navigate', { url });
      const tab: Tab = {
        async evaluate<T>(expression: string) {
          const { result, exceptionDetails } = await call<{
            result: { value?: T };
            exceptionDetails?: { text: string };
          }>('Runtime.evaluate', { expression, returnByValue: true, awaitPromise: true });
          if (exceptionDetails) throw new Error(`${expression}: ${exceptionDetails.text}`);
          return result.value as T;
        },
        async waitFor(expression, timeoutMs) {
          const deadline = Date.now() + timeoutMs;
          while (!(await tab.evaluate<boolean>(`Boolean(${expression})`).catch(() => false))) {
            if (Date.now() > deadline) throw new Error(`timed out after ${timeoutMs} ms waiting for ${expression}`);
            await new Promise((r) => setTimeout(r, 200));
          }
        },
        async screenshot(file, clip) {
          const { data } = await call<{ data: string }>('Page.captureScreenshot', {
            format: 'png',
            ...(clip ? { clip: { ...clip, scale: 1 } } : {}),
          });
          await writeFile(file, Buffer.from(data, 'base64'));
        },
        async close() {
          await send('Target.closeTarget', { targetId });
        },
      };
      return tab;
    },
    async close() {
      const exited = new Promise((resolve) => child.once('exit', resolve));
      await send('Browser.close').catch(() => undefined);
      await Promise.race([exited, new Promise((r) => setTimeout(r, 5000))]);
      if (child.exitCode === null) child.kill();
    },
  };
}
