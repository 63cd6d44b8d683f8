/**
 * The CLI's worker logger: an activity failure is one line unless --verbose, with no task token or stack.
 */
import { ApplicationFailure } from '@temporalio/common';
import { describe, expect, it } from 'vitest';
import { createCliLogger } from '../../src/cli/logger.js';

const failure = () =>
  ApplicationFailure.create({
    message: 'cannot reach the model at http://127.0.0.1:9/v1: Connection error.',
    type: 'ModelUnavailable',
    cause: new TypeError('fetch failed'),
  });

describe('createCliLogger', () => {
  it('prints an activity failure as one line', () => {
    const lines: string[] = [];
    const logger = createCliLogger({ level: 'WARN', verbose: false, write: (line) => lines.push(line) });
    logger.warn('Activity failed', {
      sdkComponent: 'worker',
      activityType: 'createPlan',
      attempt: 2,
      taskToken: 'CiQwMWEyMDljYS0wZDllLTcz',
      error: failure(),
      durationMs: 8,
    });
    expect(lines).toEqual([
      'activity createPlan failed (attempt 2): cannot reach the model at http://127.0.0.1:9/v1: Connection error.\n',
    ]);
  });

  it('prints a failed workflow and other messages as one line each, and drops what is below its level', () => {
    const lines: string[] = [];
    const logger = createCliLogger({ level: 'INFO', verbose: false, write: (line) => lines.push(line) });
    logger.warn('Workflow failed', { workflowId: 'run-1', workflowType: 'planAndExecute', error: failure() });
    logger.info('Worker state changed', { state: 'RUNNING', taskQueue: 'planwright' });
    logger.debug('Activity started', { activityType: 'createPlan' });
    expect(lines).toEqual([
      'workflow run-1 failed: cannot reach the model at http://127.0.0.1:9/v1: Connection error.\n',
      '[INFO] Worker state changed\n',
    ]);
  });

  it('with verbose, prints every detail the SDK gives', () => {
    const lines: string[] = [];
    const logger = createCliLogger({ level: 'WARN', verbose: true, write: (line) => lines.push(line) });
    logger.warn('Activity failed', { activityType: 'createPlan', attempt: 2, taskToken: 'abc', error: failure() });
    expect(lines).toHaveLength(1);
    expect(lines[0]).toContain('[WARN] Activity failed');
    expect(lines[0]).toContain("taskToken: 'abc'");
    expect(lines[0]).toContain('fetch failed');
  });
});
