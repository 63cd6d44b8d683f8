/**
 * Where large step outputs live outside the workflow history. A run keeps only a reference with a
 * short preview (`{ ref, bytes, preview }`); activities that need the whole output read it from the store.
 */

/** A place to keep outputs: one JSON text per key. Keys are content-addressed, so `put` is idempotent. */
export interface OutputStore {
  /** Short name shown in references and logs: `file`, `postgres`. */
  readonly kind: string;
  /** Stores `body` under `key`; storing the same key again keeps the body and restarts its retention age. */
  put(key: string, body: string): Promise<void>;
  /** The body stored under `key`, or undefined when there is none (never stored, or removed by retention). */
  get(key: string): Promise<string | undefined>;
  /** Removes entries stored more than `maxAgeMs` ago. @returns how many were removed. */
  sweep(maxAgeMs: number): Promise<number>;
  /** Releases connections. */
  close(): Promise<void>;
}
