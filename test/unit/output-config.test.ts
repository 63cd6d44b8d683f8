/**
 * Output store settings from the environment: where outputs go, how large an inline output may be, how long
 * stored ones are kept; unusable values are refused with a message naming the variable.
 */
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import {
  DEFAULT_RETENTION,
  describeOutputStore,
  OutputStoreConfigError,
  outputStoreSettings,
  type OutputStoreSettings,
} from '../../src/outputs/config.js';
import { DEFAULT_INLINE_BYTES } from '../../src/outputs/keeper.js';

const DAY = 24 * 60 * 60 * 1000;
const cache = { PLANWRIGHT_CACHE_DIR: '/var/cache/planwright-test' };

/** The error `outputStoreSettings` throws for `env`. */
function refusal(env: NodeJS.ProcessEnv): OutputStoreConfigError {
  try {
    outputStoreSettings(env);
  } catch (err) {
    expect(err).toBeInstanceOf(OutputStoreConfigError);
    return err as OutputStoreConfigError;
  }
  return expect.unreachable(`expected ${JSON.stringify(env)} to be refused`);
}

const locationOf = (store: string) => outputStoreSettings({ ...cache, PLANWRIGHT_OUTPUT_STORE: store }).location;

describe('outputStoreSettings', () => {
  it('defaults to a folder in the cache, 2048 inline bytes and 30 days', () => {
    expect(outputStoreSettings(cache)).toEqual({
      location: { kind: 'file', dir: '/var/cache/planwright-test/outputs' },
      inlineBytes: DEFAULT_INLINE_BYTES,
      retentionMs: 30 * DAY,
    });
    expect([DEFAULT_INLINE_BYTES, DEFAULT_RETENTION]).toEqual([2048, '30d']);
    // Without PLANWRIGHT_CACHE_DIR, the cache is under XDG_CACHE_HOME.
    expect(outputStoreSettings({ XDG_CACHE_HOME: '/home/u/.cache' }).location).toEqual({
      kind: 'file',
      dir: '/home/u/.cache/planwright/outputs',
    });
    // Blank is unset.
    expect(outputStoreSettings({ ...cache, PLANWRIGHT_OUTPUT_STORE: '  ' }).location).toEqual({
      kind: 'file',
      dir: '/var/cache/planwright-test/outputs',
    });
  });

  it('takes a folder path, resolving a relative one from the working directory', () => {
    expect(locationOf('/srv/outputs')).toEqual({ kind: 'file', dir: '/srv/outputs' });
    expect(locationOf('data/outputs')).toEqual({ kind: 'file', dir: path.join(process.cwd(), 'data/outputs') });
    expect(locationOf('./outputs/../shared')).toEqual({ kind: 'file', dir: path.join(process.cwd(), 'shared') });
  });

  it('takes a file: URL', () => {
    expect(locationOf('file:///tmp/x')).toEqual({ kind: 'file', dir: '/tmp/x' });
    expect(locationOf('file:///tmp/with%20space')).toEqual({ kind: 'file', dir: '/tmp/with space' });
  });

  it('takes a postgres:// or postgresql:// URL as it is', () => {
    expect(locationOf('postgres://u:secret@h:5432/db')).toEqual({
      kind: 'postgres',
      url: 'postgres://u:secret@h:5432/db',
    });
    expect(locationOf('postgresql://u@h/db')).toEqual({ kind: 'postgres', url: 'postgresql://u@h/db' });
  });

  it('refuses other kinds of URL, naming the variable and what it takes', () => {
    const err = refusal({ ...cache, PLANWRIGHT_OUTPUT_STORE: 's3://bucket' });
    expect(err.name).toBe('OutputStoreConfigError');
    expect(err.message).toBe(
      'PLANWRIGHT_OUTPUT_STORE=s3://bucket cannot be used: expected an absolute or relative folder path, a file:/// URL or a postgres:// URL',
    );
    for (const other of ['redis://localhost:6379', 'mailto:x', 'file:relative']) {
      expect(refusal({ ...cache, PLANWRIGHT_OUTPUT_STORE: other }).message).toMatch(
        /^PLANWRIGHT_OUTPUT_STORE=.* cannot be used/,
      );
    }
  });

  it('reads the inline limit as a whole number of bytes', () => {
    expect(outputStoreSettings({ ...cache, PLANWRIGHT_OUTPUT_INLINE_BYTES: '4096' }).inlineBytes).toBe(4096);
    expect(outputStoreSettings({ ...cache, PLANWRIGHT_OUTPUT_INLINE_BYTES: '0' }).inlineBytes).toBe(0);
    for (const bad of ['2k', '-1', '1.5', 'lots']) {
      expect(refusal({ ...cache, PLANWRIGHT_OUTPUT_INLINE_BYTES: bad }).message).toBe(
        `PLANWRIGHT_OUTPUT_INLINE_BYTES=${bad} cannot be used: expected a whole number of bytes, such as 2048`,
      );
    }
  });

  it('reads the retention as a duration', () => {
    expect(outputStoreSettings({ ...cache, PLANWRIGHT_OUTPUT_RETENTION: '12h' }).retentionMs).toBe(DAY / 2);
    expect(outputStoreSettings({ ...cache, PLANWRIGHT_OUTPUT_RETENTION: '7d' }).retentionMs).toBe(7 * DAY);
    expect(refusal({ ...cache, PLANWRIGHT_OUTPUT_RETENTION: 'forever' }).message).toBe(
      "PLANWRIGHT_OUTPUT_RETENTION=forever cannot be used: expected a positive duration such as '30d' or '12h'",
    );
  });

  it('refuses a retention of zero or less (it would sweep the outputs of runs still going)', () => {
    for (const bad of ['-1d', '0']) {
      expect(refusal({ ...cache, PLANWRIGHT_OUTPUT_RETENTION: bad }).message).toMatch(
        new RegExp(`^PLANWRIGHT_OUTPUT_RETENTION=${bad} cannot be used`),
      );
    }
  });
});

describe('describeOutputStore', () => {
  const settings = (location: OutputStoreSettings['location']): OutputStoreSettings => ({
    location,
    inlineBytes: 2048,
    retentionMs: 30 * DAY,
  });

  it('names the folder', () => {
    expect(describeOutputStore(settings({ kind: 'file', dir: '/srv/outputs' }))).toBe('folder /srv/outputs');
  });

  it('shows a PostgreSQL URL without its password', () => {
    const described = describeOutputStore(
      outputStoreSettings({ PLANWRIGHT_OUTPUT_STORE: 'postgres://u:secret@h:5432/db' }),
    );
    expect(described).toBe('PostgreSQL postgres://u:***@h:5432/db');
    expect(described).not.toContain('secret');
    const encoded = describeOutputStore(settings({ kind: 'postgres', url: 'postgresql://u:p%40ss@h/db' }));
    expect(encoded).toBe('PostgreSQL postgresql://u:***@h/db');
    expect(describeOutputStore(settings({ kind: 'postgres', url: 'postgres://u@h/db' }))).toBe(
      'PostgreSQL postgres://u@h/db',
    );
  });
});
