/**
 * No module of the library imports itself through others: every `.ts` file under `src/`, `workflows/` and
 * `activities/` is read with its imports and `export … from` (type-only ones too: a type cycle still ties two
 * modules together), `.js` specifiers resolved to the `.ts` sources, and the test names each cycle it finds.
 */
import { readdirSync, readFileSync, existsSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import ts from 'typescript';
import { describe, expect, it } from 'vitest';

const ROOT = fileURLToPath(new URL('../../', import.meta.url));
const FOLDERS = ['src', 'workflows', 'activities'];

/** Every `.ts` file under the folders, as paths relative to the repository root. */
function sourceFiles(): string[] {
  const files: string[] = [];
  const walk = (dir: string) => {
    for (const entry of readdirSync(path.join(ROOT, dir), { withFileTypes: true })) {
      const relative = path.posix.join(dir, entry.name);
      if (entry.isDirectory()) walk(relative);
      else if (entry.name.endsWith('.ts')) files.push(relative);
    }
  };
  FOLDERS.forEach(walk);
  return files.sort();
}

/** The module specifiers of a file's imports and re-exports, type-only ones included. */
function specifiers(file: string): string[] {
  const source = ts.createSourceFile(file, readFileSync(path.join(ROOT, file), 'utf8'), ts.ScriptTarget.Latest);
  return source.statements.flatMap((statement) => {
    const specifier =
      (ts.isImportDeclaration(statement) || ts.isExportDeclaration(statement)) && statement.moduleSpecifier;
    return specifier && ts.isStringLiteral(specifier) ? [specifier.text] : [];
  });
}

/** The source file a relative specifier names (`./x.js` is `./x.ts`), or undefined for packages and other files. */
function resolve(from: string, specifier: string): string | undefined {
  if (!specifier.startsWith('.')) return undefined;
  const target = path.posix.normalize(path.posix.join(path.posix.dirname(from), specifier));
  const candidates = [target.replace(/\.js$/, '.ts'), target, `${target}.ts`, `${target}/index.ts`];
  return candidates.find((candidate) => candidate.endsWith('.ts') && existsSync(path.join(ROOT, candidate)));
}

/** The import graph: each file and the files of the library it imports. */
function importGraph(): Map<string, string[]> {
  const files = sourceFiles();
  const known = new Set(files);
  return new Map(
    files.map((file) => [
      file,
      [...new Set(specifiers(file).flatMap((s) => resolve(file, s) ?? []))].filter((f) => known.has(f)),
    ]),
  );
}

/** The strongly connected components with more than one file, or a file that imports itself (Tarjan). */
function cyclicComponents(graph: Map<string, string[]>): string[][] {
  let next = 0;
  const index = new Map<string, number>();
  const low = new Map<string, number>();
  const stack: string[] = [];
  const onStack = new Set<string>();
  const components: string[][] = [];
  const visit = (file: string) => {
    index.set(file, next);
    low.set(file, next++);
    stack.push(file);
    onStack.add(file);
    for (const target of graph.get(file) ?? []) {
      if (!index.has(target)) {
        visit(target);
        low.set(file, Math.min(low.get(file)!, low.get(target)!));
      } else if (onStack.has(target)) low.set(file, Math.min(low.get(file)!, index.get(target)!));
    }
    if (low.get(file) !== index.get(file)) return;
    const component: string[] = [];
    let member: string;
    do {
      member = stack.pop()!;
      onStack.delete(member);
      component.push(member);
    } while (member !== file);
    if (component.length > 1 || graph.get(file)?.includes(file)) components.push(component.sort());
  };
  for (const file of graph.keys()) if (!index.has(file)) visit(file);
  return components;
}

/** One cycle through a component, from its first file back to it: `a.ts → b.ts → a.ts`. */
function cycleThrough(component: readonly string[], graph: Map<string, string[]>): string {
  const members = new Set(component);
  const start = component[0]!;
  // Breadth-first from the start's successors back to the start, within the component: a shortest cycle.
  const previous = new Map<string, string>();
  const queue = [start];
  while (queue.length > 0) {
    const file = queue.shift()!;
    for (const target of graph.get(file) ?? []) {
      if (!members.has(target) || previous.has(target)) continue;
      previous.set(target, file);
      if (target === start) queue.length = 0;
      else queue.push(target);
    }
  }
  const cycle = [start];
  for (let file = previous.get(start)!; file !== start; file = previous.get(file)!) cycle.splice(1, 0, file);
  return [...cycle, start].join(' → ');
}

describe('imports', () => {
  const graph = importGraph();

  it('read the library', () => {
    expect(graph.size).toBeGreaterThan(100);
    expect(graph.get('src/index.ts')).toContain('src/worker.ts');
  });

  it('form no cycle', () => {
    const cycles = cyclicComponents(graph).map((c) => cycleThrough(c, graph));
    expect(cycles, `import cycles:\n${cycles.join('\n')}`).toEqual([]);
  });
});
