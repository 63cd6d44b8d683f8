/**
 * Step outputs as a run holds them: small outputs inline, large ones as a reference into the output store
 * (`{ ref, bytes, preview }`), so the workflow history, the state query and the result stay small.
 */
import type { Json } from './plan.js';

/** A step output kept in the output store: where it is, how big it is, and how it begins. */
export interface OutputRef {
  /**
   * The store key: `<namespace>/<workflowId>/<SHA-256 of the JSON text, 32 hex digits>`. It names the run that stored
   * the output, and only that run loads it (a reference of another run is plain data to it).
   */
  ref: string;
  /** Size of the output's JSON text, in bytes. */
  bytes: number;
  /** The first characters of the output's JSON text. */
  preview: string;
}

/** Whether a step output is a reference into the output store rather than the output itself. */
export function isOutputRef(value: Json | undefined): value is Json & OutputRef {
  if (value === null || typeof value !== 'object' || Array.isArray(value)) return false;
  const keys = Object.keys(value);
  return (
    keys.length === 3 &&
    typeof value.ref === 'string' &&
    typeof value.bytes === 'number' &&
    typeof value.preview === 'string'
  );
}
