/**
 * Where `planwright dev` keeps its runs: a SQLite file in the cache directory unless asked otherwise.
 */
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { devDatabase } from '../../src/cli/dev.js';

describe('devDatabase', () => {
  it('is dev-server.db in the cache directory by default', () => {
    expect(devDatabase({}, { PLANWRIGHT_CACHE_DIR: '/var/cache/pw' })).toBe(
      path.join('/var/cache/pw', 'dev-server.db'),
    );
  });

  it('is the file --db names, and none with --ephemeral', () => {
    expect(devDatabase({ db: 'runs.db' }, {})).toBe(path.resolve('runs.db'));
    expect(devDatabase({ ephemeral: true }, { PLANWRIGHT_CACHE_DIR: '/var/cache/pw' })).toBeUndefined();
  });
});
