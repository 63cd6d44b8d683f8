/**
 * The suites `planwright eval` knows by name — NESTFUL's SGD and Glaive sets and the goals of the four seed
 * agents — and suite files given by path; `--tasks` picks among them.
 */
import { existsSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { DEMO_AGENTS } from '../demo/agents.js';
import { builtinTools } from '../tools/builtin.js';
import { toolInfo } from '../tools/define.js';
import { loadNestful, NESTFUL_SETS, type NestfulSet } from './nestful.js';
import { loadSuiteFile, SuiteFileError, type EvalSuite, type EvalTask } from './task.js';

/** The suites known by name. */
export const SUITE_NAMES = ['nestful-sgd', 'nestful-glaive', 'seed-agents'] as const;

/** Where NESTFUL's files are shipped: `eval/nestful/` at the root of the project. */
export function nestfulDir(): string {
  let dir = path.dirname(fileURLToPath(import.meta.url));
  while (!existsSync(path.join(dir, 'package.json')) && path.dirname(dir) !== dir) dir = path.dirname(dir);
  return path.join(dir, 'eval', 'nestful');
}

/** The seed agents' goals with their tools (the built-in ones and the agent's own); scored on validity only. */
export function seedAgentsSuite(): EvalSuite {
  const tasks: EvalTask[] = Object.entries(DEMO_AGENTS).map(([name, agent]) => ({
    id: name,
    goal: agent.input.goal,
    tools: [...builtinTools, ...agent.tools]
      .map(toolInfo)
      .map(({ name: tool, description, inputSchema, outputSchema }) => ({
        name: tool,
        description,
        inputSchema,
        ...(outputSchema ? { outputSchema } : {}),
      })),
  }));
  return { name: 'seed-agents', source: "the goals of planwright's four demo agents", tasks };
}

/**
 * The suites `spec` names, comma-separated: a known name (`nestful-sgd`), a suite file's path, or either with
 * `:` and task ids joined by `+` (`nestful-sgd:sgd-1+sgd-2`).
 * @throws {SuiteFileError} when a name is neither known nor a file, a file is not a suite, or a task id is unknown.
 */
export async function loadSuites(spec: string): Promise<EvalSuite[]> {
  const suites: EvalSuite[] = [];
  for (const part of spec
    .split(',')
    .map((p) => p.trim())
    .filter(Boolean)) {
    const [name = '', only] = splitTasks(part);
    const suite = await loadSuite(name);
    if (only) {
      const unknown = only.filter((id) => !suite.tasks.some((t) => t.id === id));
      if (unknown.length > 0) throw new SuiteFileError(`suite ${suite.name} has no task ${unknown.join(', ')}`);
      suite.tasks = suite.tasks.filter((t) => only.includes(t.id));
    }
    suites.push(suite);
  }
  return suites;
}

/** `name:a+b` → [name, [a, b]]; a Windows drive letter is not a task list. */
function splitTasks(part: string): [string, string[] | undefined] {
  const at = part.lastIndexOf(':');
  if (at <= 1) return [part, undefined];
  return [
    part.slice(0, at),
    part
      .slice(at + 1)
      .split('+')
      .filter(Boolean),
  ];
}

async function loadSuite(name: string): Promise<EvalSuite> {
  const set = /^nestful-(\w+)$/.exec(name)?.[1];
  if (set && (NESTFUL_SETS as readonly string[]).includes(set)) return loadNestful(set as NestfulSet, nestfulDir());
  if (name === 'seed-agents') return seedAgentsSuite();
  if (existsSync(name)) return loadSuiteFile(name);
  throw new SuiteFileError(`no suite "${name}": name one of ${SUITE_NAMES.join(', ')}, or the path of a suite file`);
}
