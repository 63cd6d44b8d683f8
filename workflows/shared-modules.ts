/**
 * Evaluated once per worker thread, before any run, so that every run shares these modules instead of evaluating
 * its own copy (see `WORKFLOW_BUNDLE_OPTIONS` in src/workflow-bundle.ts): zod, and the contract's schemas, which were most
 * of what a new run cost the worker. The SDK deep-freezes what shared modules export, so a run cannot leave state
 * in them: what they export is constants, pure functions and classes; the schemas are built here, once, and kept
 * inside functions (`builtOnce`), where the freeze does not reach (zod completes a schema's members when it is
 * first used, and keeps nothing about a run in it). zod itself computes one value lazily (whether it may compile
 * parsers): the first parse below computes it before the freeze.
 *
 * Only modules without state of their own may be listed here (no caches, no counters, nothing a run could change).
 */
import { messageShapes } from '../src/run/admission.js';
import { parseRunInput } from '../src/contract/run-input.js';
import { planSchema } from '../src/contract/plan.js';
// The schema of what crosses continue-as-new is built the first time a run continues as new.
import '../src/run/resume.js';

parseRunInput({ goal: 'build the schemas every run uses' });
planSchema();
messageShapes();
