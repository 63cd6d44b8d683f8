/** Once per `npm run test:traces`: Jaeger, built the first time (about 15 minutes on 2 cores), then started. */
import type { TestProject } from 'vitest/node';
import { startJaeger, type LocalJaeger } from '../../../src/provision/jaeger.js';

declare module 'vitest' {
  export interface ProvidedContext {
    jaegerOtlp: string;
    jaegerQuery: string;
  }
}

let jaeger: LocalJaeger | undefined;

export async function setup(project: TestProject): Promise<void> {
  jaeger = await startJaeger({ ...(process.env.JAEGER_UI_ASSETS ? { assets: process.env.JAEGER_UI_ASSETS } : {}) });
  project.provide('jaegerOtlp', jaeger.otlpEndpoint);
  project.provide('jaegerQuery', jaeger.queryUrl);
  if (process.env.PLANWRIGHT_KEEP_JAEGER) process.stderr.write(`Jaeger UI: ${jaeger.queryUrl}\n`);
}

export async function teardown(): Promise<void> {
  if (process.env.PLANWRIGHT_KEEP_JAEGER)
    await new Promise((r) => setTimeout(r, Number(process.env.PLANWRIGHT_KEEP_JAEGER)));
  await jaeger?.stop();
}
