/**
 * Evaluated once per worker thread, before any run, so that every run shares zod's modules instead of
 * evaluating its own copy (see `WORKFLOW_BUNDLE_OPTIONS` in src/worker.ts); that copy was most of what a new
 * run cost the worker. The SDK freezes what is shared, so anything a run tried to change there would fail
 * loudly rather than leak into other runs. zod keeps no state per run; it computes one value lazily (whether
 * it may compile parsers), so one parse here computes it before the freeze.
 */
import { z } from 'zod';

z.object({ shared: z.string() }).parse({ shared: 'zod' });
