/**
 * Evaluated once per worker thread, before any run, so that every run shares these modules instead of evaluating
 * its own copy (see `WORKFLOW_BUNDLE_OPTIONS` in src/workflow-bundle.ts): zod, and the contract's schemas, which were most
 * of what a new run cost the worker. The SDK deep-freezes what shared modules export, so a run cannot leave state
 * in them: what they export is constants, pure functions and classes; the schemas are built here, once, and kept
 * inside functions (`builtOnce`), where the freeze does not reach (zod completes a schema's members when it is
 * first used, and keeps nothing about a run in it). zod itself computes one value lazily (whether it may compile
 * parsers): the first parse below computes it before the freeze.
 *
 * The run's stream shares Workflow Streams' workflow side and the deriver of its events (src/stream/derive.ts, which
 * imports no zod schema): a class and constants each, with the handler definitions the stream registers per run.
 *
 * Only modules without state of their own may be listed here (no caches, no counters, nothing a run could change).
 * workflows/current-details.ts and workflows/telemetry-hook.ts keep a run's state: never list them (or what imports
 * them).
 */
import { messageShapes } from '../src/run/admission.js';
import { parseRunInput } from '../src/contract/run-input.js';
import { planSchema } from '../src/contract/plan.js';
// The schema of what crosses continue-as-new is built the first time a run continues as new.
import '../src/run/resume.js';
import '@temporalio/workflow-streams/workflow';
import '../src/stream/derive.js';

parseRunInput({ goal: 'build the schemas every run uses' });
planSchema();
messageShapes();
