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
   * The output itself, loading it from the store when it is a reference.
   * @throws {ApplicationFailure} `OutputMissing` (not retryable) when the store no longer has it.
   */
  load(value: Json): Promise<Json>;
}

/**
 * An output keeper over a store. Keys are content-addressed, so a retried activity stores nothing twice.
 * @example createOutputKeeper(createFileOutputStore(dir), { inlineBytes: 2048 })
 */
export function createOutputKeeper(store: OutputStore, { inlineBytes = DEFAULT_INLINE_BYTES } = {}): OutputKeeper {
  return {
    async keep(value, scope) {
      if (inlineBytes === Number.POSITIVE_INFINITY) return value;
      const text = JSON.stringify(value);
      const bytes = Buffer.byteLength(text);
      if (bytes <= inlineBytes) return value;
      // 128 bits of SHA-256 name an output uniquely within its run, and keep references short.
      const digest = createHash('sha256').update(text).digest('hex').slice(0, 32);
      const key = `${scope.namespace}/${scope.workflowId}/${digest}`;
      await store.put(key, text);
      const ref: OutputRef = { ref: key, bytes, preview: preview(text) };
      return { ...ref };
    },
    async load(value) {
      if (!isOutputRef(value)) return value;
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
