/**
 * The phases of a run that call the model, and the request header that names the phase, so that scripted
 * servers and proxies can route on it.
 */

/** Which part of a run a model call serves; sent as the `X-Planwright-Phase` header. */
export type Phase = 'plan' | 'replan' | 'execute' | 'check' | 'synthesize';

/** Header that names the phase of a request, so scripted servers and proxies can route on it. */
export const PHASE_HEADER = 'x-planwright-phase';
