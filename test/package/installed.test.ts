/**
 * The published package as a user gets it: `npm run build && npm pack`, the tarball installed offline into a
 * project of its own, and there the README's guide test (vitest), its Node test runner twin, a type check of
 * code using the typed workflow, and the `planwright` command with its demo, all from compiled JavaScript.
 *
 *   npm run test:package      (about 2-3 minutes: a build, an install, two test runs)
 */
import { existsSync } from 'node:fs';
import { mkdtemp, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { buildAndPack, ROOT, run, scratchProject } from './scratch-project.js';

/** Code that leans on the package's types: it must compile, and the marked line must not. */
const CONSUMER = `import type { PlanAndExecute, PlanCache, RunResult, planAndExecute } from 'planwright';
import { WORKFLOW_TYPE, ErrorType, approvePlanUpdate, createFilePlanCache } from 'planwright';
import type { TestKit } from 'planwright/testing';

export async function typed(kit: TestKit): Promise<RunResult> {
  const result = await kit.client.workflow.execute<typeof planAndExecute>(WORKFLOW_TYPE, {
    taskQueue: kit.taskQueue,
    workflowId: 'typed',
    args: [{ goal: 'Count the tickets', approval: 'plan' }],
  });
  const handle = kit.client.workflow.getHandle<PlanAndExecute>('typed');
  const status: RunResult['status'] = await handle.executeUpdate(approvePlanUpdate, { args: [{ version: 1 }] });
  // @ts-expect-error a run's input needs a goal
  await kit.client.workflow.start<typeof planAndExecute>(WORKFLOW_TYPE, { taskQueue: 'q', workflowId: 'w', args: [{}] });
  const cache: PlanCache = createFilePlanCache('plans');
  void [status, cache, ErrorType.RunRejected];
  return result;
}
`;

const TSCONFIG = JSON.stringify({
  compilerOptions: {
    target: 'ES2022',
    module: 'NodeNext',
    moduleResolution: 'NodeNext',
    strict: true,
    noEmit: true,
    skipLibCheck: true,
    types: ['node'],
  },
  include: ['*.ts'],
});

let work: string;
let dir: string;

beforeAll(async () => {
  work = await mkdtemp(path.join(tmpdir(), 'planwright-pack-'));
  const tarball = await buildAndPack(work);
  const example = (name: string) => readFile(path.join(ROOT, 'examples/testing', name), 'utf8');
  ({ dir } = await scratchProject(tarball, {
    'agent.test.ts': await example('agent.test.ts'),
    'agent.test.mjs': await example('agent.test.mjs'),
    'consumer.ts': CONSUMER,
    'tsconfig.json': TSCONFIG,
  }));
});

afterAll(async () => {
  if (dir) await rm(dir, { recursive: true, force: true });
  if (work) await rm(work, { recursive: true, force: true });
});

describe('the packed package, installed offline in a project of its own', () => {
  it('holds compiled JavaScript with type declarations, and no TypeScript sources', () => {
    const installed = path.join(dir, 'node_modules/planwright');
    for (const file of [
      'dist/src/index.js',
      'dist/src/index.d.ts',
      'dist/src/testing/index.d.ts',
      'dist/workflows/index.js',
    ]) {
      expect(existsSync(path.join(installed, file)), file).toBe(true);
    }
    expect(existsSync(path.join(installed, 'src'))).toBe(false);
  });

  it('passes the README guide’s test with vitest', async () => {
    const vitest = await run(path.join(dir, 'node_modules/.bin/vitest'), ['run', 'agent.test.ts'], dir, 600_000);
    expect(vitest.code, vitest.output).toBe(0);
    expect(vitest.output).toMatch(/Tests\s+4 passed/);
  });

  it('passes the same tests with Node’s test runner', async () => {
    const node = await run(process.execPath, ['--test', 'agent.test.mjs'], dir, 600_000);
    expect(node.code, node.output).toBe(0);
    expect(node.output).toMatch(/# pass 2\n# fail 0/);
  });

  it('type-checks code that uses the typed workflow, the updates, the plan cache and the kit', async () => {
    const tsc = await run(path.join(dir, 'node_modules/.bin/tsc'), ['-p', '.'], dir);
    expect(tsc.code, tsc.output).toBe(0);
  });

  it('runs the planwright command from the compiled JavaScript, the demo included', async () => {
    const planwright = path.join(dir, 'node_modules/.bin/planwright');
    const help = await run(planwright, ['--help'], dir);
    expect(help.code, help.output).toBe(0);
    expect(help.output).toContain('Usage: planwright <command>');
    // The demo reads its tickets from the package's own data, next to the compiled code.
    const demo = await run(planwright, ['demo'], dir);
    expect(demo.code, demo.output).toBe(0);
    expect(demo.output).toContain('Status: completed · 5/5 steps succeeded');
    // The seed agents read theirs there too; the pipeline's tools write into a copy of it.
    const pipeline = await run(planwright, ['demo', 'pipeline'], dir);
    expect(pipeline.code, pipeline.output).toBe(0);
    expect(pipeline.output).toContain('Run 2: completed · plan from the plan cache (no planner call)');
  });
});
