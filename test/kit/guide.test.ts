/**
 * The testing guide (docs/testing.md) shows examples/testing/agent.test.ts, which this suite runs: the two must
 * stay the same, so the guide cannot show a test that does not pass.
 */
import { readFile } from 'node:fs/promises';
import { describe, expect, it } from 'vitest';

const MARKER = '<!-- examples/testing/agent.test.ts, verbatim';

describe('the testing guide', () => {
  it('shows examples/testing/agent.test.ts exactly', async () => {
    const guide = await readFile(new URL('../../docs/testing.md', import.meta.url), 'utf8');
    const example = await readFile(new URL('../../examples/testing/agent.test.ts', import.meta.url), 'utf8');
    const at = guide.indexOf(MARKER);
    expect(at, 'docs/testing.md has lost the marker before the guide').toBeGreaterThan(-1);
    const block = /```ts\n([\s\S]*?)```/.exec(guide.slice(at));
    expect(block?.[1]).toBe(example);
  });
});
