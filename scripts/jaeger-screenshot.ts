/**
 * A picture of a run's trace in Jaeger's UI, for docs/observability.md. Starts a local Temporal server and Jaeger
 * serving a built Jaeger UI, runs the trace suite's scenario (a failed tool call, a replan and a sub-goal) on a
 * traced worker with a scripted model, and has headless Chromium (puppeteer-core) open the trace's page and save it.
 *
 *   JAEGER_UI_ASSETS=<a built Jaeger UI> node --import tsx scripts/jaeger-screenshot.ts [out.png] [--keep]
 *
 * (default docs/images/jaeger-trace.png; see docs/observability.md for building the UI). `--keep` keeps Jaeger up
 * afterwards, until Ctrl-C. Exits 2 when the UI's assets or Chromium are missing, 1 when the run or the picture fails.
 */
import { existsSync } from 'node:fs';
import { mkdir } from 'node:fs/promises';
import path from 'node:path';
import { DefaultLogger, Runtime } from '@temporalio/worker';
import puppeteer from 'puppeteer-core';
import { startJaeger } from '../src/provision/jaeger.js';
import { tracedWorkflowBundle } from '../src/telemetry/bundle.js';
import { tracingFromEnv, type Tracing } from '../src/telemetry/tracing.js';
import { startLocalTemporal } from '../src/temporal/local-server.js';
import { tracesOfRun } from '../test/traces/jaeger/jaeger-query.js';
import { runTracedScenario } from '../test/traces/scenario.js';

const CHROMIUM = process.env.CHROMIUM_PATH ?? '/usr/lib/chromium/chromium';
const args = process.argv.slice(2);
const keep = args.includes('--keep');
const out = path.resolve(args.find((a) => !a.startsWith('--')) ?? 'docs/images/jaeger-trace.png');
const assets = process.env.JAEGER_UI_ASSETS;

if (!assets || !existsSync(path.join(assets, 'index.html'))) {
  console.error(
    'JAEGER_UI_ASSETS must name a built Jaeger UI (a directory with index.html); see docs/observability.md',
  );
  process.exit(2);
}
if (!existsSync(CHROMIUM)) {
  console.error(`no Chromium at ${CHROMIUM}: install it (apt-get install -y chromium) or set CHROMIUM_PATH`);
  process.exit(2);
}

Runtime.install({ logger: new DefaultLogger('WARN') });
const temporal = await startLocalTemporal();
const jaeger = await startJaeger({ assets });
try {
  process.env.OTEL_EXPORTER_OTLP_ENDPOINT = jaeger.otlpEndpoint;
  process.env.OTEL_BSP_SCHEDULE_DELAY = '100';
  const tracing = tracingFromEnv() as Tracing;
  const { result, workflowId } = await runTracedScenario({
    tracing,
    connection: temporal.env.connection,
    nativeConnection: temporal.env.nativeConnection,
    workflowBundle: await tracedWorkflowBundle(),
  });
  if (result.status !== 'completed') throw new Error(`the run ended ${result.status}`);
  await tracing.provider.forceFlush();
  const [trace] = await tracesOfRun(
    jaeger.queryUrl,
    workflowId,
    ([t]) => (t?.spans ?? []).filter((s) => s.operationName === 'planwright.run').length === 2,
  );
  if (!trace) throw new Error(`Jaeger holds no trace of ${workflowId}`);
  const url = `${jaeger.queryUrl}/trace/${trace.traceID}`;
  console.log(`${trace.spans.length} spans: ${url}`);

  const browser = await puppeteer.launch({ executablePath: CHROMIUM, headless: true, args: ['--no-sandbox'] });
  try {
    const page = await browser.newPage();
    await page.setViewport({ width: 1600, height: 1000, deviceScaleFactor: 1 });
    // A wider name column (the UI keeps its width in localStorage; 0.25 by default), so nested names are not cut.
    await page.evaluateOnNewDocument(() => localStorage.setItem('spanNameColumnWidth', '0.38'));
    await page.goto(url, { waitUntil: 'networkidle0' });
    // The timeline's rows, one per span, are drawn once the trace has loaded.
    await page.waitForSelector('.span-name', { timeout: 30_000 });
    // Tall enough for every row, so the picture holds the whole trace.
    const height = await page.evaluate(
      () => document.querySelector('.trace-page-content, #jaeger-ui-root')?.scrollHeight ?? 1000,
    );
    await page.setViewport({ width: 1600, height: Math.min(Math.max(height, 1000), 4000), deviceScaleFactor: 1 });
    await mkdir(path.dirname(out), { recursive: true });
    await page.screenshot({ path: out as `${string}.png`, fullPage: true });
    console.log(`saved ${path.relative(process.cwd(), out)}`);
  } finally {
    await browser.close();
  }
  if (keep) {
    console.log(`Jaeger UI: ${jaeger.queryUrl} (Ctrl-C to stop)`);
    await new Promise((resolve) => process.once('SIGINT', resolve));
  }
} catch (err) {
  console.error((err as Error).stack ?? String(err));
  process.exitCode = 1;
} finally {
  await jaeger.stop();
  await temporal.stop();
  await tracingFromEnv()?.shutdown();
}
