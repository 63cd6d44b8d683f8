/**
 * Jaeger (all-in-one, in memory) for the trace suite and local use: built from the Go module proxy with `go build`
 * into the per-user cache, like the Temporal CLI, and started on free loopback ports with a configuration of its
 * own (OTLP over HTTP in, the query API and UI out).
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { existsSync } from 'node:fs';
import { chmod, cp, mkdir, mkdtemp, rename, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { cacheDir } from '../cache-dir.js';
import { freePort } from '../free-port.js';
import { run, stderrLog, withBuildLock, type ProvisionOptions } from './build.js';

/** The Jaeger release built (`cmd/jaeger`, Jaeger v2 on the OpenTelemetry Collector; module tag v1.75.0). */
export const JAEGER_VERSION = 'v1.75.0';
const MODULE = 'github.com/jaegertracing/jaeger';

/** Where the built Jaeger is cached; `JAEGER_PATH` names another binary. */
export function jaegerPath(env: NodeJS.ProcessEnv = process.env): string {
  return env.JAEGER_PATH || path.join(cacheDir(env), `jaeger-${JAEGER_VERSION}`, 'jaeger');
}

/**
 * Builds Jaeger once into the cache (later calls return the cached path). `go install` refuses the module (its
 * go.mod has a replace directive), so its source is downloaded with `go mod download` and built in a copy.
 * @throws {Error} when Go is missing or the build fails.
 */
export async function buildJaeger({ log = stderrLog, env = process.env }: ProvisionOptions = {}): Promise<string> {
  const target = jaegerPath(env);
  if (env.JAEGER_PATH) {
    if (!existsSync(target)) throw new Error(`JAEGER_PATH=${target} does not exist; unset it to build Jaeger`);
    return target;
  }
  return withBuildLock(target, log, async () => {
    const go = existsSync('/usr/local/go/bin/go') ? '/usr/local/go/bin/go' : 'go';
    log(`building Jaeger ${JAEGER_VERSION} (first time only; about 15 minutes on 2 cores)…`);
    const { stdout } = await run(go, ['mod', 'download', '-json', `${MODULE}@${JAEGER_VERSION}`], { env });
    const source = (JSON.parse(stdout) as { Dir: string }).Dir;
    const staging = `${path.dirname(target)}.staging`;
    const work = `${path.dirname(target)}.src`;
    await rm(staging, { recursive: true, force: true });
    await rm(work, { recursive: true, force: true });
    await mkdir(staging, { recursive: true });
    await cp(source, work, { recursive: true });
    await run('chmod', ['-R', 'u+w', work], { env });
    let packages = 0;
    await run(go, ['build', '-v', '-o', path.join(staging, 'jaeger'), './cmd/jaeger'], {
      env: { ...env, GOFLAGS: '-mod=mod' },
      cwd: work,
      progress: { log, every: 30_000, describe: () => `${packages} packages compiled` },
      onStderrLine: () => packages++,
    });
    await rm(path.dirname(target), { recursive: true, force: true });
    await rename(staging, path.dirname(target));
    await rm(work, { recursive: true, force: true });
    log(`Jaeger ready: ${target}`);
    return target;
  });
}

/** A running Jaeger. */
export interface LocalJaeger {
  /** Where OTLP over HTTP goes: set as `OTEL_EXPORTER_OTLP_ENDPOINT`. */
  otlpEndpoint: string;
  /** The query API and UI, e.g. `${queryUrl}/api/traces/<id>`. */
  queryUrl: string;
  stop(): Promise<void>;
}

/**
 * Starts Jaeger in memory on free loopback ports, and waits until its query API answers.
 * @param options.assets a built Jaeger UI to serve (the module's source carries none, so the UI is a placeholder).
 * @throws {Error} when it does not answer within 30 s.
 */
export async function startJaeger(options: { binary?: string; assets?: string } = {}): Promise<LocalJaeger> {
  const binary = options.binary ?? (await buildJaeger());
  const [otlp, query, grpc] = [await freePort(), await freePort(), await freePort()];
  const dir = await mkdtemp(path.join(tmpdir(), 'planwright-jaeger-'));
  const config = path.join(dir, 'config.yaml');
  await writeFile(config, jaegerConfig({ otlp, query, grpc, assets: options.assets }));
  await chmod(config, 0o600);
  const child: ChildProcess = spawn(binary, ['--config', `file:${config}`], { stdio: ['ignore', 'ignore', 'pipe'] });
  let output = '';
  child.stderr?.on('data', (chunk: Buffer) => (output = (output + chunk.toString()).slice(-4000)));
  const queryUrl = `http://127.0.0.1:${query}`;
  const stop = async () => {
    if (child.exitCode === null) {
      const exited = new Promise((r) => child.once('exit', r));
      child.kill('SIGTERM');
      await exited;
    }
    await rm(dir, { recursive: true, force: true });
  };
  for (let i = 0; i < 300; i++) {
    if (child.exitCode !== null) break;
    const ok = await fetch(`${queryUrl}/api/services`).then(
      (r) => r.ok,
      () => false,
    );
    if (ok) return { otlpEndpoint: `http://127.0.0.1:${otlp}`, queryUrl, stop };
    await new Promise((r) => setTimeout(r, 100));
  }
  await stop();
  throw new Error(`Jaeger did not start (${binary}):\n${output}`);
}

/** The configuration: OTLP/HTTP in, memory storage, the query service; no other listener. */
function jaegerConfig(p: { otlp: number; query: number; grpc: number; assets?: string | undefined }): string {
  return `service:
  extensions: [jaeger_storage, jaeger_query]
  pipelines:
    traces:
      receivers: [otlp]
      processors: [batch]
      exporters: [jaeger_storage_exporter]
  telemetry:
    metrics:
      level: none
    logs:
      level: warn
extensions:
  jaeger_query:
    storage:
      traces: memstore
    http:
      endpoint: 127.0.0.1:${p.query}
    grpc:
      endpoint: 127.0.0.1:${p.grpc}
${p.assets ? `    ui:\n      assets_path: ${JSON.stringify(p.assets)}\n` : ''}  jaeger_storage:
    backends:
      memstore:
        memory:
          max_traces: 100000
receivers:
  otlp:
    protocols:
      http:
        endpoint: 127.0.0.1:${p.otlp}
processors:
  batch:
exporters:
  jaeger_storage_exporter:
    trace_storage: memstore
`;
}
