/**
 * Ports on the command line are whole numbers in digits from 1 to 65535: `planwright dev --port 1e3` is refused,
 * not a server started on port 1000. Nothing here starts a server: the handlers run with `runDev` and `runDemo`
 * replaced by spies.
 */
import { afterEach, describe, expect, it, vi } from 'vitest';
import { integer, tcpPort } from '../../src/cli/command.js';
import { main } from '../../src/cli/main.js';
import { runDemo } from '../../src/cli/demo.js';
import { runDev } from '../../src/cli/dev.js';
import { UsageError } from '../../src/cli/errors.js';

vi.mock('../../src/cli/dev.js', async (original) => ({
  ...(await original<object>()),
  runDev: vi.fn(async () => {}),
}));
vi.mock('../../src/cli/demo.js', async (original) => ({
  ...(await original<object>()),
  runDemo: vi.fn(async () => ({ status: 'completed' })),
}));
// `dev` and `demo` install the SDK's runtime for their worker; there is none here.
vi.mock('@temporalio/worker', async (original) => ({
  ...(await original<object>()),
  Runtime: { install: () => {} },
}));

afterEach(() => vi.clearAllMocks());

describe('planwright dev --port and --ui-port', () => {
  it('refuse a port that is not digits from 1 to 65535, starting nothing', async () => {
    for (const given of ['1e3', '0x1F90', '7233.0', ' 7233', '', '0', '65536', '-1', '99999999']) {
      await expect(main(['dev', `--port=${given}`])).rejects.toThrow(
        new UsageError(`--port expects a port number from 1 to 65535, in digits; got "${given}"`),
      );
      await expect(main(['dev', `--ui-port=${given}`])).rejects.toThrow(/^--ui-port expects a port number from 1/);
    }
    expect(runDev).not.toHaveBeenCalled();
  });

  it('take ports in range, the Web UI on --port + 1000 unless given', async () => {
    await main(['dev', '--port', '17233']);
    await main(['dev', '--port', '1', '--ui-port', '65535']);
    expect(vi.mocked(runDev).mock.calls.map(([options]) => [options.port, options.uiPort])).toEqual([
      [17233, 18233],
      [1, 65535],
    ]);
  });

  it('refuse a --port that leaves no default port for the Web UI, and the same port twice', async () => {
    await expect(main(['dev', '--port', '65000'])).rejects.toThrow(
      '--port 65000 leaves no port for the Web UI (it takes --port + 1000); give --ui-port',
    );
    await expect(main(['dev', '--port', '8000', '--ui-port', '8000'])).rejects.toThrow(
      '--port and --ui-port must differ (both are 8000)',
    );
    expect(runDev).not.toHaveBeenCalled();
  });
});

describe('planwright demo --ui-port', () => {
  it('refuses a port that is not one', async () => {
    await expect(main(['demo', '--ui-port', '8e3'])).rejects.toThrow(/^--ui-port expects a port number from 1/);
    await main(['demo', '--ui-port', '8233']);
    expect(vi.mocked(runDemo).mock.calls.map(([options]) => options.uiPort)).toEqual([8233]);
  });
});

describe('whole numbers and ports on the command line', () => {
  it('are digits only', () => {
    expect(integer('12', 'retention')).toBe(12);
    expect(integer('-3', 'max-replans')).toBe(-3);
    expect(integer(undefined, 'version')).toBeUndefined();
    for (const given of ['1e3', '0x10', '2.0', '', ' 5', '+5']) {
      expect(() => integer(given, 'version')).toThrow(`--version expects a whole number, got "${given}"`);
    }
    expect(tcpPort('443', 'port')).toBe(443);
    expect(tcpPort(undefined, 'port')).toBeUndefined();
  });
});
