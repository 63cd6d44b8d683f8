/**
 * One MCP server as a tool source: connected when first needed, connected again on the next call after it
 * went away (a stdio server that died, an HTTP session the server forgot), closed when the worker stops.
 * What a stdio server writes to stderr may hold secrets: it goes to the worker's log only, never into an error
 * (errors reach the run's events, its state and the model's prompts).
 */
import type { ChildProcess } from 'node:child_process';
import { createRequire } from 'node:module';
import { Runtime } from '@temporalio/worker';
import { Client } from '@modelcontextprotocol/sdk/client/index.js';
import { StdioClientTransport } from '@modelcontextprotocol/sdk/client/stdio.js';
import { StreamableHTTPClientTransport, StreamableHTTPError } from '@modelcontextprotocol/sdk/client/streamableHttp.js';
import type { Transport } from '@modelcontextprotocol/sdk/shared/transport.js';
import { ErrorCode, McpError, type CallToolResult, type Tool as McpTool } from '@modelcontextprotocol/sdk/types.js';
import { ToolError, type ToolSource } from '../tools/define.js';
import type { McpServerSettings } from './config.js';

/** planwright's version, from its package.json: two folders up from the sources, three from the built `dist/`. */
function packageVersion(): string {
  const require = createRequire(import.meta.url);
  for (const candidate of ['../../package.json', '../../../package.json']) {
    try {
      const found = require(candidate) as { name?: string; version?: string };
      if (found.name === 'planwright' && found.version) return found.version;
    } catch {
      // not at this depth
    }
  }
  return '0.0.0';
}

const version = packageVersion();

/** How long starting a server and the MCP handshake may take. */
export const CONNECT_TIMEOUT_MS = 30_000;

/**
 * The SDK's own limit for one call (its default is 60 s). The step's timeout is what limits a call: when
 * it expires the activity is cancelled, and so is the request (the server gets `notifications/cancelled`).
 */
const CALL_LIMIT_MS = 24 * 3600_000;

/** Lines of a stdio server's stderr kept for the worker's log, to explain why it stopped. */
const STDERR_LINES = 50;

/** Where a server's stderr goes: the worker's log. */
export type StderrLog = (message: string) => void;

/** The worker's log: the logger of the process's Temporal runtime. */
const workerLog: StderrLog = (message) => Runtime.instance().logger.warn(message);

/** Error codes that say the request itself is wrong: asking again cannot help. */
const PERMANENT_CODES = new Set<number>([ErrorCode.InvalidParams, ErrorCode.MethodNotFound, ErrorCode.InvalidRequest]);

/** What a call needs besides the tool's name and arguments. */
export interface McpCallOptions {
  signal?: AbortSignal;
  /** Called on the server's progress notifications (the activity heartbeats with them). */
  onProgress?: (progress: { progress: number; total?: number; message?: string }) => void;
}

/** A connection to one MCP server, opened on demand. */
export class McpConnection implements ToolSource {
  readonly name: string;
  private current?: Promise<Client>;
  private live?: Client;
  private stderr: string[] = [];
  /** How the stdio server's process ended (`code 1`, `signal SIGKILL`), once it has. */
  private exit?: string;

  /** `log` takes what the server writes to stderr (default: the worker's log). */
  constructor(
    readonly settings: McpServerSettings,
    private readonly log: StderrLog = workerLog,
  ) {
    this.name = `MCP server "${settings.name}"`;
  }

  /**
   * Lists the server's tools (every page).
   * @throws {ToolError} (retryable) when the server cannot be reached or started.
   */
  async listTools(): Promise<McpTool[]> {
    const client = await this.client();
    const tools: McpTool[] = [];
    let cursor: string | undefined;
    try {
      do {
        const page = await client.listTools(cursor === undefined ? undefined : { cursor });
        tools.push(...page.tools);
        cursor = page.nextCursor;
      } while (cursor !== undefined);
    } catch (err) {
      throw this.failure(err, client, 'listing tools');
    }
    return tools;
  }

  /**
   * Calls one tool. Errors are `ToolError`s: retryable when the server went away, timed out or failed
   * inside; permanent when it refused the request (invalid arguments, unknown tool).
   * @throws {ToolError}
   */
  async callTool(tool: string, args: Record<string, unknown>, options: McpCallOptions = {}): Promise<CallToolResult> {
    const client = await this.client();
    try {
      return (await client.callTool({ name: tool, arguments: args }, undefined, {
        timeout: CALL_LIMIT_MS,
        resetTimeoutOnProgress: true,
        ...(options.signal ? { signal: options.signal } : {}),
        ...(options.onProgress ? { onprogress: options.onProgress } : {}),
      })) as CallToolResult;
    } catch (err) {
      if (options.signal?.aborted) throw new ToolError(`the call of ${tool} on ${this.name} was cancelled`, true);
      throw this.failure(err, client, `calling ${tool}`);
    }
  }

  /** Closes the connection (a stdio server is stopped); a later call opens a new one. */
  async close(): Promise<void> {
    const current = this.current;
    this.current = undefined;
    this.live = undefined;
    const client = await current?.catch(() => undefined);
    await client?.close().catch(() => undefined);
  }

  /** The connected client, connecting first when there is none (again, after the last one was lost). */
  private client(): Promise<Client> {
    this.current ??= this.connect().catch((err: unknown) => {
      this.current = undefined;
      throw err;
    });
    return this.current;
  }

  private async connect(): Promise<Client> {
    const client = new Client({ name: 'planwright', version });
    // The server went away (a stdio process exited, say): the next call connects again.
    client.onclose = () => this.forget(client);
    this.stderr = [];
    this.exit = undefined;
    try {
      await client.connect(this.transport(), { timeout: CONNECT_TIMEOUT_MS });
    } catch (err) {
      await client.close().catch(() => undefined);
      const failure = `cannot connect to ${this.name}: ${this.exit ? `the server exited (${this.exit})` : messageOf(err)}`;
      throw new ToolError(`${failure}${this.logStderr(failure)}`, true, { cause: err });
    }
    this.live = client;
    return client;
  }

  private transport(): Transport {
    const { settings } = this;
    if (settings.kind === 'http') {
      return new StreamableHTTPClientTransport(new URL(settings.url), {
        requestInit: { headers: settings.headers },
        // Calls are not resumed across a lost stream: a failed call is retried whole, by Temporal.
        reconnectionOptions: {
          maxRetries: 0,
          initialReconnectionDelay: 1000,
          maxReconnectionDelay: 1000,
          reconnectionDelayGrowFactor: 1,
        },
      });
    }
    const transport = new StdioClientTransport({
      command: settings.command,
      args: settings.args,
      // The SDK adds the few variables other MCP clients pass (PATH, HOME, USER…), not the worker's secrets.
      env: settings.env,
      ...(settings.cwd ? { cwd: settings.cwd } : {}),
      stderr: 'pipe',
    });
    const start = transport.start.bind(transport);
    transport.start = async () => {
      await start();
      this.watchExit(transport);
    };
    transport.stderr?.on('data', (chunk: Buffer) => {
      const lines = chunk
        .toString('utf8')
        .split('\n')
        .filter((line) => line.trim() !== '');
      this.stderr = [...this.stderr, ...lines].slice(-STDERR_LINES);
    });
    // An error on the pipe itself (the server's end went away mid-write) must not become an uncaught 'error'
    // event, which would take the worker down: the exit watcher reports the server's end.
    transport.stderr?.on('error', (err: Error) => {
      this.stderr = [...this.stderr, `(stderr pipe: ${err.message})`].slice(-STDERR_LINES);
    });
    return transport;
  }

  /** Classifies a failed request, dropping the connection when it is the connection that failed. */
  private failure(err: unknown, client: Client, doing: string): ToolError {
    const prefix = `${this.name} failed ${doing}`;
    if (err instanceof McpError) {
      if (err.code === ErrorCode.ConnectionClosed) {
        this.drop(client);
        const why = this.exit ? `the server exited (${this.exit})` : 'the connection closed (did the server stop?)';
        const failure = `${prefix}: ${why}`;
        return new ToolError(`${failure}${this.logStderr(failure)}`, true, { cause: err });
      }
      return new ToolError(`${prefix}: ${err.message}`, !PERMANENT_CODES.has(err.code), { cause: err });
    }
    if (err instanceof StreamableHTTPError && err.code !== undefined && err.code >= 400 && err.code < 500) {
      // 404: the server no longer knows the session (it restarted); 401/403: credentials no attempt can fix.
      this.drop(client);
      return new ToolError(`${prefix}: ${err.message}`, err.code === 404 || err.code === 408 || err.code === 429, {
        cause: err,
      });
    }
    this.drop(client);
    const failure = `${prefix}: ${messageOf(err)}`;
    return new ToolError(`${failure}${this.logStderr(failure)}`, true, { cause: err });
  }

  /** Forgets a client whose connection failed, and closes it, so the next call connects again. */
  private drop(client: Client): void {
    if (this.forget(client)) void client.close().catch(() => undefined);
  }

  /** Forgets the live client if it is this one; true when it was. */
  private forget(client: Client): boolean {
    if (this.live !== client) return false;
    this.live = undefined;
    this.current = undefined;
    return true;
  }

  /**
   * Notes how the server's process ends. The SDK keeps its process to itself; should it stop exposing it, messages
   * only say less (the connection closed instead of the exit code).
   */
  private watchExit(transport: StdioClientTransport): void {
    const child = (transport as unknown as { _process?: ChildProcess })._process;
    const ended = (code: number | null, signal: NodeJS.Signals | null) => {
      this.exit = code !== null ? `code ${code}` : `signal ${signal ?? 'unknown'}`;
    };
    if (!child) return;
    if (child.exitCode !== null || child.signalCode !== null) ended(child.exitCode, child.signalCode);
    else child.once('exit', ended);
  }

  /**
   * Writes the lines the server wrote to stderr since the last failure into the worker's log, after the failure
   * they may explain, and returns what the error's message adds: where to find them (nothing when there are none).
   */
  private logStderr(failure: string): string {
    const lines = this.stderr;
    if (lines.length === 0) return '';
    this.stderr = [];
    this.log(`${failure}; the server's stderr (last ${lines.length} lines):\n${lines.map((l) => `  ${l}`).join('\n')}`);
    return "; its stderr is in the worker's log";
  }
}

function messageOf(err: unknown): string {
  const message = err instanceof Error ? err.message : String(err);
  const cause = err instanceof Error && err.cause instanceof Error ? `: ${err.cause.message}` : '';
  return `${message}${cause}`;
}
