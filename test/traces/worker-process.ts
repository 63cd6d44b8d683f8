/**
 * A planwright worker in a process of its own (test/traces/jaeger/worker-process.ts), with the environment given:
 * the OTEL_* variables there decide whether it traces and exports metrics. `ready` resolves once it polls.
 */
import { spawn } from 'node:child_process';
import path from 'node:path';
import { inject } from 'vitest';

/** Starts the worker process on the suite's dev server; its stdout (JSON log lines) is kept in `output()`. */
export function startWorkerProcess(taskQueue: string, modelUrl: string, env: NodeJS.ProcessEnv) {
  const script = path.resolve('test/traces/jaeger/worker-process.ts');
  const child = spawn(process.execPath, ['--import', 'tsx', script, inject('devServerAddress'), taskQueue, modelUrl], {
    env,
    stdio: ['ignore', 'pipe', 'inherit'],
  });
  let out = '';
  child.stdout.on('data', (c: Buffer) => (out += c.toString()));
  const ready = new Promise<void>((resolve, reject) => {
    child.stdout.on('data', () => out.includes('ready\n') && resolve());
    child.once('exit', (code) => reject(new Error(`worker exited with ${code}: ${out}`)));
  });
  return { child, ready, output: () => out };
}
