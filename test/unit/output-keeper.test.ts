/**
 * The output keeper: small outputs stay inline, large ones go to the store behind a content-addressed
 * reference with a preview, and references come back whole (or fail as OutputMissing when the entry is gone).
 */
import { createHash } from 'node:crypto';
import { mkdtemp, readdir, rm } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { ApplicationFailure } from '@temporalio/common';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { ErrorType } from '../../src/contract/errors.js';
import { isOutputRef } from '../../src/contract/output.js';
import type { Json } from '../../src/contract/plan.js';
import { createFileOutputStore } from '../../src/outputs/file.js';
import { createOutputKeeper, INLINE_ONLY, PREVIEW_CHARS, type OutputKeeper } from '../../src/outputs/keeper.js';
import type { OutputStore } from '../../src/outputs/store.js';
import { rejectionOf } from '../support/rejection.js';

const scope = { namespace: 'default', workflowId: 'wf-keeper' };
const INLINE_BYTES = 1024;

/** An output whose JSON text is well over the limit, with characters that take 2 to 4 bytes in UTF-8. */
const large = {
  rows: Array.from({ length: 60 }, (_, i) => ({ i, name: `Zoë ✓ 😀 row ${i}`, tags: ['ünïcödé', 'naïve'] })),
};
const largeText = JSON.stringify(large);

let dir: string;
let store: OutputStore;
let keeper: OutputKeeper;

beforeEach(async () => {
  dir = await mkdtemp(path.join(os.tmpdir(), 'planwright-keeper-'));
  store = createFileOutputStore(dir);
  keeper = createOutputKeeper(store, { inlineBytes: INLINE_BYTES });
});
afterEach(async () => {
  await rm(dir, { recursive: true, force: true });
});

/** The reference `keep` returned, after checking that it is one. */
function asRef(kept: Json) {
  if (!isOutputRef(kept)) throw new Error(`expected an output reference, got ${JSON.stringify(kept).slice(0, 200)}`);
  return kept;
}

describe('createOutputKeeper', () => {
  it('keeps a small output inline, as the very same value', async () => {
    const small = { total: 318, intent: 'billing_refund' };
    expect(await keeper.keep(small, scope)).toBe(small);
    expect(await keeper.keep('x'.repeat(INLINE_BYTES - 2), scope)).toBe('x'.repeat(INLINE_BYTES - 2));
    expect(await readdir(dir).catch(() => [])).toEqual([]);

    const justOver = asRef(await keeper.keep('x'.repeat(INLINE_BYTES - 1), scope));
    expect(justOver.bytes).toBe(INLINE_BYTES + 1);
  });

  it('counts the limit in UTF-8 bytes, not characters', async () => {
    // 400 characters of JSON text, 1196 bytes: under the limit in characters, over it in bytes.
    const text = '✓'.repeat(398);
    expect(JSON.stringify(text).length).toBeLessThan(INLINE_BYTES);
    const ref = asRef(await keeper.keep(text, scope));
    expect(ref.bytes).toBe(3 * 398 + 2);
  });

  it('stores a large output and returns a reference with its byte size and a preview', async () => {
    expect(largeText.length).toBeLessThan(Buffer.byteLength(largeText));
    const ref = asRef(await keeper.keep(large, scope));

    // Keyed by (at least 128 bits of) the SHA-256 of the JSON text, under the run's namespace and workflow id.
    const digest = createHash('sha256').update(largeText).digest('hex');
    expect(ref.ref).toMatch(/^default\/wf-keeper\/[0-9a-f]{32,64}$/);
    const keyDigest = ref.ref.split('/')[2] ?? '';
    expect(digest.slice(0, keyDigest.length)).toBe(keyDigest);
    expect(ref.bytes).toBe(Buffer.byteLength(largeText, 'utf8'));
    expect(ref.preview).toBe(`${largeText.slice(0, PREVIEW_CHARS)}…`);
    expect(ref.preview.length).toBeLessThanOrEqual(PREVIEW_CHARS + 1);
    expect(PREVIEW_CHARS).toBeLessThanOrEqual(160);
    expect(Object.keys(ref).sort()).toEqual(['bytes', 'preview', 'ref']);
    expect(await store.get(ref.ref)).toBe(largeText);
  });

  it('gives the same output the same reference and stores it once', async () => {
    const first = asRef(await keeper.keep(large, scope));
    const again = asRef(await keeper.keep(structuredClone(large), scope));
    expect(again).toEqual(first);
    expect(await readdir(dir)).toHaveLength(1);

    const other = asRef(await keeper.keep({ ...large, extra: true }, scope));
    expect(other.ref).not.toBe(first.ref);
    expect(await readdir(dir)).toHaveLength(2);
  });

  it('keeps the outputs of different runs under different keys', async () => {
    const mine = asRef(await keeper.keep(large, scope));
    const theirs = asRef(await keeper.keep(large, { namespace: 'default', workflowId: 'wf-other' }));
    const elsewhere = asRef(await keeper.keep(large, { namespace: 'staging', workflowId: 'wf-keeper' }));
    expect(theirs.ref).toMatch(/^default\/wf-other\//);
    expect(elsewhere.ref).toMatch(/^staging\/wf-keeper\//);
    expect(new Set([mine.ref, theirs.ref, elsewhere.ref]).size).toBe(3);
    expect(await readdir(dir)).toHaveLength(3);
  });

  it('loads a reference back as the whole output', async () => {
    const ref = asRef(await keeper.keep(large, scope));
    expect(await keeper.load(ref)).toEqual(large);
    // Another keeper over the same folder (another worker) loads it too.
    expect(await createOutputKeeper(createFileOutputStore(dir)).load(ref)).toEqual(large);
  });

  it('returns anything that is not a reference unchanged', async () => {
    const values: Json[] = [
      { total: 1 },
      'text',
      42,
      null,
      [1, 2],
      // Looks like a reference but has a fourth key, so it is an output of its own.
      { ref: 'default/wf/abc', bytes: 10, preview: '{', extra: 1 },
    ];
    for (const value of values) expect(await keeper.load(value)).toBe(value);
  });

  it('loads only the references its run stored: another run’s is plain data to it', async () => {
    const theirs = asRef(await keeper.keep(large, { namespace: 'default', workflowId: 'wf-other' }));
    expect(await keeper.load(theirs, scope)).toBe(theirs);
    expect(await keeper.load(theirs, { namespace: 'staging', workflowId: 'wf-other' })).toBe(theirs);
    expect(await keeper.load(theirs, { namespace: 'default', workflowId: 'wf-other' })).toEqual(large);
    // Workflow ids may hold "/": the run "a" does not own what the run "a/b" stored, nor the other way round.
    const nested = asRef(await keeper.keep(large, { namespace: 'default', workflowId: 'a/b' }));
    expect(await keeper.load(nested, { namespace: 'default', workflowId: 'a' })).toBe(nested);
    const parent = asRef(await keeper.keep(large, { namespace: 'default', workflowId: 'a' }));
    expect(await keeper.load(parent, { namespace: 'default', workflowId: 'a/b' })).toBe(parent);
    expect(await keeper.load(nested, { namespace: 'default', workflowId: 'a/b' })).toEqual(large);
    // A key of the run that does not end in a digest was not written by a keeper.
    const odd = { ref: `default/wf-keeper/${'0'.repeat(31)}/x`, bytes: 1, preview: '1' };
    expect(await keeper.load(odd, scope)).toBe(odd);
  });

  it('stores a small output shaped like a reference, so that it loads back as the very same data', async () => {
    const theirs = asRef(await keeper.keep(large, { namespace: 'default', workflowId: 'wf-other' }));
    const kept = asRef(await keeper.keep(theirs, scope));
    expect(kept.ref).toMatch(/^default\/wf-keeper\/[0-9a-f]{32}$/);
    expect(kept.preview).toBe(JSON.stringify(theirs).slice(0, PREVIEW_CHARS) + '…');
    expect(await keeper.load(kept, scope)).toEqual(theirs);
  });

  it('fails as a non-retryable OutputMissing when the entry was swept', async () => {
    const ref = asRef(await keeper.keep(large, scope));
    // Retention as seen a minute later: the entry is older than a second, so it goes.
    const later = createFileOutputStore(dir, () => Date.now() + 60_000);
    expect(await later.sweep(1000)).toBe(1);

    const failure = await rejectionOf(keeper.load(ref), ApplicationFailure);
    expect([failure.type, failure.nonRetryable]).toEqual([ErrorType.OutputMissing, true]);
    expect(failure.message).toContain(ref.ref);
    expect(failure.message).toContain(`${ref.bytes} bytes`);
    expect(failure.message).toContain('file output store');
    expect(failure.message).toContain('PLANWRIGHT_OUTPUT_STORE');
  });

  it('fails as OutputMissing when the reference was kept by another store', async () => {
    const ref = asRef(await keeper.keep(large, scope));
    const otherDir = await mkdtemp(path.join(os.tmpdir(), 'planwright-keeper-other-'));
    try {
      const other = createOutputKeeper(createFileOutputStore(otherDir));
      const failure = await rejectionOf(other.load(ref), ApplicationFailure);
      expect([failure.type, failure.nonRetryable]).toEqual([ErrorType.OutputMissing, true]);
      expect(failure.message).toMatch(/another store than the one that kept it \(see PLANWRIGHT_OUTPUT_STORE\)/);
    } finally {
      await rm(otherDir, { recursive: true, force: true });
    }
  });
});

describe('INLINE_ONLY', () => {
  it('keeps every output inline, however large', async () => {
    const huge = { text: 'ü'.repeat(1_000_000) };
    expect(await INLINE_ONLY.keep(huge, scope)).toBe(huge);
  });

  it('cannot load a reference', async () => {
    const ref = asRef(await keeper.keep(large, scope));
    const failure = await rejectionOf(INLINE_ONLY.load(ref), ApplicationFailure);
    expect([failure.type, failure.nonRetryable]).toEqual([ErrorType.OutputMissing, true]);
    expect(failure.message).toContain('PLANWRIGHT_OUTPUT_STORE');
  });
});
