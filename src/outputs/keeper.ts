/**
 * The activities' side of the output store: outputs over a size threshold are stored and replaced by a
 * reference with a preview; references are loaded back, whole, where an activity needs the output itself.
 */
import { createHash } from 'node:crypto';
import { ApplicationFailure } from '@temporalio/common';
import { ErrorType } from '../contract/errors.js';
import { isOutputRef, type OutputRef } from '../contract/output.js';
import type { Json } from '../contract/plan.js';
import type { OutputStore } from './store.js';

/** Outputs whose JSON text is longer than this many bytes are stored outside the history by default. */
export const DEFAULT_INLINE_BYTES = 2048;

/** Characters of an output's JSON text kept in its reference as a preview. */
export const PREVIEW_CHARS = 100;

/** Whose output it is: the run's namespace and workflow id (the same across continue-as-new). */
export interface OutputScope {
  namespace: string;
  workflowId: string;
}

/** Keeps and loads step outputs. */
export interface OutputKeeper {
  /** The output itself when small, or a reference to it after storing it. */
  keep(value: Json, scope: OutputScope): Promise<Json>;
  /**
   * The output itself, loaded from the store when it is a reference that `scope`'s run stored. A reference another
   * run stored is not this run's to read: it comes back as it is, as plain data (a tool may return such an object).
   * Only a reader outside any run, given the run by its owner (the command line showing one run's step), omits the
   * scope; then any reference is loaded.
   * @throws {ApplicationFailure} `OutputMissing` (not retryable) when the store no longer has it.
   */
  load(value: Json, scope?: OutputScope): Promise<Json>;
}

/** Hex digits of an output's digest in its key. */
const DIGEST_CHARS = 32;
const DIGEST = new RegExp(`^[0-9a-f]{${DIGEST_CHARS}}$`);

/** The store key of an output of a run: `<namespace>/<workflowId>/<digest>`. */
function keyOf(scope: OutputScope, digest: string): string {
  return `${scope.namespace}/${scope.workflowId}/${digest}`;
}

/**
 * Whether `key` is one a keeper wrote for `scope`'s run. The key is read from its end, since a workflow id may hold
 * `/`: the run `a` does not own the key `default/a/b/<digest>` of the run `a/b`.
 */
function storedBy(key: string, scope: OutputScope): boolean {
  const cut = key.length - DIGEST_CHARS;
  return cut > 0 && key.slice(0, cut) === keyOf(scope, '') && DIGEST.test(key.slice(cut));
}

/**
 * An output keeper over a store. Keys are content-addressed, so a retried activity stores nothing twice. A key names
 * the run that stored it (as every key has since the store exists), so a run loads only its own outputs.
 * @example createOutputKeeper(createFileOutputStore(dir), { inlineBytes: 2048 })
 */
export function createOutputKeeper(store: OutputStore, { inlineBytes = DEFAULT_INLINE_BYTES } = {}): OutputKeeper {
  return {
    async keep(value, scope) {
      if (inlineBytes === Number.POSITIVE_INFINITY) return value;
      const text = JSON.stringify(value);
      const bytes = Buffer.byteLength(text);
      // A small output shaped like a reference is stored too: every reference a run holds is then one it stored.
      if (bytes <= inlineBytes && !isOutputRef(value)) return value;
      // 128 bits of SHA-256 name an output uniquely within its run, and keep references short.
      const key = keyOf(scope, createHash('sha256').update(text).digest('hex').slice(0, DIGEST_CHARS));
      await store.put(key, text);
      const ref: OutputRef = { ref: key, bytes, preview: preview(text) };
      return { ...ref };
    },
    async load(value, scope) {
      if (!isOutputRef(value) || (scope && !storedBy(value.ref, scope))) return value;
      const text = await store.get(value.ref);
      if (text === undefined) {
        throw ApplicationFailure.create({
          type: ErrorType.OutputMissing,
          nonRetryable: true,
          message: `output ${value.ref} (${value.bytes} bytes) is not in the ${store.kind} output store: it was removed by retention, or this worker uses another store than the one that kept it (see PLANWRIGHT_OUTPUT_STORE)`,
        });
      }
      return JSON.parse(text) as Json;
    },
  };
}

/** The first {@link PREVIEW_CHARS} characters of an output's JSON text, with an ellipsis when cut. */
export function preview(text: string): string {
  if (text.length <= PREVIEW_CHARS) return text;
  // Never cut between the two halves of a surrogate pair (an emoji, say).
  const end = /[\uD800-\uDBFF]/.test(text.charAt(PREVIEW_CHARS - 1)) ? PREVIEW_CHARS - 1 : PREVIEW_CHARS;
  return `${text.slice(0, end)}…`;
}

/** A keeper with no store: every output stays inline, and a reference cannot be loaded. */
export const INLINE_ONLY: OutputKeeper = createOutputKeeper(
  {
    kind: 'no',
    put: async () => {
      throw new Error('no output store is configured');
    },
    get: async () => undefined,
    sweep: async () => 0,
    close: async () => {},
  },
  { inlineBytes: Number.POSITIVE_INFINITY },
);
