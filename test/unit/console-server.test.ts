import { Client } from '@temporalio/client';
import { describe, expect, it } from 'vitest';
import { createApi } from '../../src/serve/app.js';
import { defaultWebUi } from '../../src/serve/console.js';

/** A client that never connects: the console's own routes do not call Temporal. */
const client = new Client({ namespace: 'research' });

describe('the console served by planwright serve', () => {
  it('serves its page, stylesheet and bundled script without the token, and says whether the API needs one', async () => {
    const app = createApi({ client, taskQueue: 'q', token: 'sesame', webUi: 'http://ui.example:8080' });
    const page = await app.request('/');
    expect(page.status).toBe(200);
    expect(await page.text()).toContain('<script type="module" src="/console/console.js">');
    expect((await app.request('/console/console.css')).headers.get('content-type')).toMatch(/^text\/css/);
    const script = await app.request('/console/console.js');
    expect(script.headers.get('content-type')).toMatch(/^text\/javascript/);
    const code = await script.text();
    // The graph is laid out by dagre, bundled in; no TypeScript or bare imports are left for the browser.
    expect(code).toMatch(/rankdir/);
    expect(code).not.toMatch(/from\s*["']@dagrejs/);
    expect(code.length).toBeLessThan(150_000);
    expect(await (await app.request('/console/config.json')).json()).toEqual({
      tokenRequired: true,
      namespace: 'research',
      webUi: 'http://ui.example:8080',
    });
    expect((await app.request('/runs')).status).toBe(401);
  });

  it('finds the Web UI next to a Temporal server on this machine only', () => {
    expect(defaultWebUi('localhost:7233')).toBe('http://localhost:8233');
    expect(defaultWebUi('127.0.0.1:17233')).toBe('http://127.0.0.1:18233');
    expect(defaultWebUi('temporal.internal:7233')).toBeUndefined();
    expect(defaultWebUi('localhost:65000')).toBeUndefined();
  });
});
