/**
 * The README's "Testing your agent" shows examples/testing/agent.test.ts, which this suite runs: the two must
 * stay the same, so the guide cannot show a test that does not pass.
 */
import { readFile } from 'node:fs/promises';
import { describe, expect, it } from 'vitest';

const MARKER = '<!-- examples/testing/agent.test.ts, verbatim';

describe('the README guide', () => {
  it('shows examples/testing/agent.test.ts exactly', async () => {
    const readme = await readFile(new URL('../../README.md', import.meta.url), 'utf8');
    const example = await readFile(new URL('../../examples/testing/agent.test.ts', import.meta.url), 'utf8');
    const at = readme.indexOf(MARKER);
    expect(at, 'the README has lost the marker before the guide').toBeGreaterThan(-1);
    const block = /```ts\n([\s\S]*?)```/.exec(readme.slice(at));
    expect(block?.[1]).toBe(example);
  });
});
