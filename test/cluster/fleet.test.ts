/**
 * A fleet of three worker processes on the PostgreSQL-backed server, sharing the PostgreSQL output store, with a
 * worker killed (SIGKILL) in the middle of each run, as `npm run bench -- fleet` does on the dev server: every run
 * completes, no finished step runs twice, and the recovery times are printed.
 */
import { inject, describe, expect, it } from 'vitest';
import { benchFleet } from '../../bench/durability.js';
import { devServerSuite } from '../support/cli.js';

const env = devServerSuite();

describe('a fleet of three workers', () => {
  it('finishes every run when a worker is killed mid-step, and no finished step runs twice', async () => {
    const runs = 3;
    const figures = await benchFleet(runs, {
      server: { address: inject('devServerAddress'), client: env().client },
      workers: 3,
      outputStore: inject('clusterOutputStore'),
    });
    process.stderr.write(`[cluster] fleet of three workers: ${JSON.stringify(figures)}\n`);
    expect(figures.problems).toBeUndefined();
    expect(figures.completed).toBe(runs);
    expect(figures.finishedStepsRunAgain).toBe(0);
    expect(figures.killsFollowedByNoStep).toBe(0);
    expect(figures.combineStepsLoadingOutputsOfAnotherWorker).toBeGreaterThan(0);
    // The 50 kB outputs were kept in the cluster's PostgreSQL.
    expect(figures.outputRows).toBeGreaterThan(0);
  }, 900_000);
});
