/**
 * A setting the command line cannot use is reported on one line that names it and says what to write, with exit
 * code 2, for every command: never a stack trace. Every error class under `src/` is either one the command line
 * expects or one it never meets.
 */
import { readdirSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterEach, describe, expect, it, vi } from 'vitest';
import { checkModelServer, dev } from '../../src/cli/commands/local.js';
import { worker } from '../../src/cli/commands/server.js';
import type { CommandContext } from '../../src/cli/command.js';
import { EXPECTED, reportError } from '../../src/cli/errors.js';
import { outputStoreSettings } from '../../src/outputs/config.js';
import { contextTokensFromEnv } from '../../src/worker.js';
import { terminal } from '../support/cli.js';

afterEach(() => {
  vi.restoreAllMocks();
  vi.unstubAllEnvs();
});

const SRC = fileURLToPath(new URL('../../src/', import.meta.url));

/** What a handler is run with: no words, the flags `values`, and printing nowhere. */
function context(values: Partial<CommandContext['values']> = {}): CommandContext {
  const print = () => {};
  return {
    values: { json: false, verbose: false, ...values } as CommandContext['values'],
    positionals: [],
    json: false,
    print,
    out: print,
    follow: print,
  };
}

/** What `act` throws. */
function thrown(act: () => unknown): unknown {
  try {
    act();
  } catch (err) {
    return err;
  }
  return expect.unreachable('expected it to throw');
}

/** What the command line prints and exits with for a command that fails with `err`. */
function reported(err: unknown): { code: number; stderr: string } {
  const t = terminal();
  const code = reportError(err);
  return { code, stderr: t.stderr() };
}

describe('a setting the command line cannot use', () => {
  it('PLANWRIGHT_TEMPERATURE=hot: check-model prints one line naming it and exits 2', async () => {
    vi.stubEnv('PLANWRIGHT_TEMPERATURE', 'hot');
    const t = terminal();
    expect(await t.cli('check-model')).toBe(2);
    expect(t.stderr()).toBe(
      'planwright: PLANWRIGHT_TEMPERATURE=hot cannot be used: expected a number from 0 to 2, or default\n',
    );
  });

  it('is reported before the worker connects or the dev server starts, on one line, exit code 2', async () => {
    vi.stubEnv('TEMPORAL_ADDRESS', '127.0.0.1:1'); // nothing there: a setting is found wrong first
    vi.stubEnv('PLANWRIGHT_MAX_TOKENS', 'plenty');
    const line = 'planwright: PLANWRIGHT_MAX_TOKENS=plenty cannot be used: expected whole numbers of at least 16\n';
    for (const run of [worker, dev, checkModelServer]) {
      const failure = await run(context()).then(
        () => expect.unreachable(),
        (err: unknown) => err,
      );
      expect(reported(failure)).toEqual({ code: 2, stderr: line });
    }
  });

  it('TEMPORAL_TLS_CERT naming a file that cannot be read: one line, exit code 2', async () => {
    vi.stubEnv('TEMPORAL_TLS_CERT', '/nowhere/client.pem');
    vi.stubEnv('TEMPORAL_TLS_KEY', '/nowhere/client.key');
    const t = terminal();
    expect(await t.cli('list')).toBe(2);
    expect(t.stderr()).toMatch(
      /^planwright: cannot read TEMPORAL_TLS_CERT=\/nowhere\/client\.pem: ENOENT.*; set TEMPORAL_TLS_CERT and TEMPORAL_TLS_KEY to the files of the client certificate and its key\n$/,
    );
  });

  it('PLANWRIGHT_CONTEXT_TOKENS and PLANWRIGHT_OUTPUT_STORE errors are configuration errors too', () => {
    const tokens = thrown(() => contextTokensFromEnv({ PLANWRIGHT_CONTEXT_TOKENS: 'many' }));
    expect(reported(tokens)).toEqual({
      code: 2,
      stderr:
        'planwright: PLANWRIGHT_CONTEXT_TOKENS=many cannot be used: expected a whole number of tokens, at least 1000\n',
    });
    // A URL that does not parse is not quoted: it may hold a password.
    const store = thrown(() =>
      outputStoreSettings({ PLANWRIGHT_OUTPUT_STORE: 'postgres://planwright:s3cret@db:99999/runs' }),
    );
    const { code, stderr } = reported(store);
    expect(code).toBe(2);
    expect(stderr).toMatch(/^planwright: PLANWRIGHT_OUTPUT_STORE cannot be used: .* expected postgres:\/\/.*\n$/);
    expect(stderr).not.toContain('s3cret');
  });
});

/** Errors under `src/` the command line never reports: each says why. */
const NOT_MET_BY_THE_CLI: Record<string, string> = {
  UnresolvedReferenceError: 'resolving step references, inside the workflow',
  ToolError: 'a tool failing inside an activity; the run records it',
  InvalidResumeError: 'a continued run, inside the workflow',
  DecisionRefusedError: 'the testing kit',
  WaitError: 'the testing kit',
  HttpProblem: "planwright serve's answer to an HTTP client, never thrown out of a command",
  ApiError: "the console's, in the browser (src/serve/console/browser/)",
};

/** Every `export class X extends Error` under `src/`, with its module. */
function errorClasses(): Array<{ name: string; file: string }> {
  const files = readdirSync(SRC, { recursive: true, encoding: 'utf8' }).filter((f) => f.endsWith('.ts'));
  return files.flatMap((file) =>
    [...readFileSync(path.join(SRC, file), 'utf8').matchAll(/export class (\w+) extends Error\b/g)].map((m) => ({
      name: m[1]!,
      file,
    })),
  );
}

describe('the errors the command line expects', () => {
  it('take in every error class under src/ that it can meet, configuration errors with exit code 2', async () => {
    const classes = errorClasses();
    expect(classes.map((c) => c.name)).toEqual(expect.arrayContaining(['ModelConfigError', 'OutputStoreConfigError']));
    const expected = new Map(EXPECTED.flatMap(([code, types]) => types.map((type) => [type, code] as const)));
    for (const { name, file } of classes) {
      if (name in NOT_MET_BY_THE_CLI) continue;
      const type = ((await import(path.join(SRC, file))) as Record<string, unknown>)[name];
      expect(expected.has(type as never), `${name} (src/${file}) is not in EXPECTED of src/cli/errors.ts`).toBe(true);
      if (/Config|Module|Workspace/.test(name)) expect(expected.get(type as never), name).toBe(2);
    }
  });

  it('print one line with no stack for each, a stack only for a bug', () => {
    const bug = reported(new TypeError('x is undefined'));
    expect(bug.stderr).toMatch(/\n\s+at /);
    for (const [, types] of EXPECTED) {
      for (const type of types) {
        const err = Object.assign(Object.create(type.prototype as object) as Error, { message: 'what is wrong' });
        expect(reported(err).stderr).not.toMatch(/\n\s+at /);
      }
    }
  });
});
