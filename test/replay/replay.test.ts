/**
 * Replays every recorded history in test/histories/ (one folder per version that recorded them) against the
 * current workflow code: a change that would break runs already in flight fails here.
 */
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { Worker } from '@temporalio/worker';
import { describe, expect, inject, it } from 'vitest';

const dir = path.resolve('test/histories');
const files = readdirSync(dir, { recursive: true, encoding: 'utf8' })
  .filter((f) => f.endsWith('.json'))
  .sort();

describe('recorded histories replay cleanly', () => {
  it('has histories to replay', () => {
    expect(files.length).toBeGreaterThan(0);
  });

  it.each(files)('%s', async (file) => {
    const history = JSON.parse(readFileSync(path.join(dir, file), 'utf8')) as unknown;
    // Under the run's own workflow id where it was recorded (a sub-goal's child workflow id is made from it).
    const idFile = path.join(dir, file.replace(/\.json$/, '.workflow-id'));
    await Worker.runReplayHistory(
      { workflowBundle: { codePath: inject('workflowBundlePath') } },
      history as Parameters<typeof Worker.runReplayHistory>[1],
      existsSync(idFile) ? readFileSync(idFile, 'utf8').trim() : file,
    );
  });
});
