/**
 * The documentation keeps its promises: every TypeScript sample in README.md, DEVELOPERS.md and docs/*.md compiles, docs/api.md
 * shows every export of `planwright` and `planwright/testing` in a sample, and every link inside the repository
 * leads to a file (and a heading) that exists.
 *
 * The samples are type-checked in one TypeScript program, each ```ts block a module of its own, with the options
 * of tsconfig.json: imports of `planwright` and `planwright/testing` stand for the sources, as in the examples.
 */
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import ts from 'typescript';
import { beforeAll, describe, expect, it } from 'vitest';

const ROOT = fileURLToPath(new URL('../..', import.meta.url));

/** The documentation, relative to the root: the README, the developers' notes and every page of docs/. */
const DOCS = [
  'README.md',
  'DEVELOPERS.md',
  ...readdirSync(path.join(ROOT, 'docs'))
    .filter((name) => name.endsWith('.md'))
    .sort()
    .map((name) => `docs/${name}`),
];

/** The public entry points, by the name users import them under. */
const ENTRY_POINTS = {
  planwright: path.join(ROOT, 'src/index.ts'),
  'planwright/testing': path.join(ROOT, 'src/testing/index.ts'),
};

/** One fenced code block of a page. */
interface Block {
  doc: string;
  /** Line of the opening fence, from 1. */
  line: number;
  lang: string;
  code: string;
}

/** A TypeScript sample, with the name of the module it is checked as. */
interface Sample extends Block {
  file: string;
}

/** The fenced code blocks of a Markdown text; blocks inside list items lose their indentation. */
function blocksOf(doc: string, text: string): Block[] {
  const blocks: Block[] = [];
  const lines = text.split('\n');
  for (let i = 0; i < lines.length; i++) {
    const open = /^( *)```(\S*)\s*$/.exec(lines[i]!);
    if (!open) continue;
    const [, indent = '', lang = ''] = open;
    const body: string[] = [];
    let end = i + 1;
    while (end < lines.length && !/^ *```\s*$/.test(lines[end]!)) body.push(lines[end++]!);
    blocks.push({ doc, line: i + 1, lang, code: body.map((l) => l.slice(indent.length)).join('\n') + '\n' });
    i = end;
  }
  return blocks;
}

const texts = new Map(DOCS.map((doc) => [doc, readFileSync(path.join(ROOT, doc), 'utf8')]));
const blocks = DOCS.flatMap((doc) => blocksOf(doc, texts.get(doc)!));
const samples: Sample[] = blocks
  .filter((b) => b.lang === 'ts')
  .map((b) => ({ ...b, file: path.join(ROOT, `${b.doc}.line-${b.line}.ts`) }));

/** One program over every sample (and the entry points, to list their exports). */
function compile(): ts.Program {
  const config = ts.getParsedCommandLineOfConfigFile(path.join(ROOT, 'tsconfig.json'), undefined, {
    ...ts.sys,
    onUnRecoverableConfigFileDiagnostic: (d) => {
      throw new Error(ts.flattenDiagnosticMessageText(d.messageText, '\n'));
    },
  });
  if (!config) throw new Error('tsconfig.json cannot be read');
  const options = { ...config.options, noEmit: true };
  const virtual = new Map(samples.map((s) => [s.file, s.code]));
  const host = ts.createCompilerHost(options, true);
  const getSourceFile = host.getSourceFile.bind(host);
  host.getSourceFile = (name, language, ...rest) => {
    const code = virtual.get(name);
    return code === undefined
      ? getSourceFile(name, language, ...rest)
      : ts.createSourceFile(name, code, language, true);
  };
  const fileExists = host.fileExists.bind(host);
  host.fileExists = (name) => virtual.has(name) || fileExists(name);
  const readFile = host.readFile.bind(host);
  host.readFile = (name) => virtual.get(name) ?? readFile(name);
  return ts.createProgram({ rootNames: [...virtual.keys(), ...Object.values(ENTRY_POINTS)], options, host });
}

/** A diagnostic as `docs/api.md:42: message`, at the line of the page it comes from. */
function located(sample: Sample, diagnostic: ts.Diagnostic): string {
  const message = ts.flattenDiagnosticMessageText(diagnostic.messageText, '\n');
  if (!diagnostic.file || diagnostic.start === undefined) return `${sample.doc}:${sample.line}: ${message}`;
  const { line } = diagnostic.file.getLineAndCharacterOfPosition(diagnostic.start);
  return `${sample.doc}:${sample.line + 1 + line}: TS${diagnostic.code} ${message}`;
}

/** The names a sample imports from a module. */
function importsOf(source: ts.SourceFile, from: string): string[] {
  return source.statements.flatMap((statement) => {
    if (!ts.isImportDeclaration(statement) || !ts.isStringLiteral(statement.moduleSpecifier)) return [];
    if (statement.moduleSpecifier.text !== from) return [];
    const bindings = statement.importClause?.namedBindings;
    if (!bindings || !ts.isNamedImports(bindings)) return [];
    return bindings.elements.map((e) => (e.propertyName ?? e.name).text);
  });
}

/** GitHub's anchor of a heading: lower case, punctuation dropped, spaces as dashes. */
function slug(heading: string): string {
  return heading
    .replace(/\[([^\]]*)\]\([^)]*\)/g, '$1')
    .trim()
    .toLowerCase()
    .replace(/[^\p{L}\p{N}\s_-]/gu, '')
    .replace(/\s/g, '-');
}

/** The anchors a page has: one per heading (numbered when repeated) and every `<a id="…">`. */
function anchorsOf(text: string): Set<string> {
  const anchors = new Set<string>();
  const seen = new Map<string, number>();
  let fenced = false;
  for (const line of text.split('\n')) {
    if (/^ *```/.test(line)) fenced = !fenced;
    if (fenced) continue;
    const heading = /^#{1,6}\s+(.*)$/.exec(line);
    if (heading) {
      const base = slug(heading[1]!);
      const n = seen.get(base) ?? 0;
      seen.set(base, n + 1);
      anchors.add(n === 0 ? base : `${base}-${n}`);
    }
    for (const id of line.matchAll(/<a id="([^"]+)"><\/a>/g)) anchors.add(id[1]!);
  }
  return anchors;
}

/** The links of a page, outside code, with their line. */
function linksOf(text: string): Array<{ target: string; line: number }> {
  const links: Array<{ target: string; line: number }> = [];
  let fenced = false;
  for (const [i, line] of text.split('\n').entries()) {
    if (/^ *```/.test(line)) fenced = !fenced;
    if (fenced) continue;
    const prose = line.replace(/`[^`]*`/g, '');
    for (const link of prose.matchAll(/\]\(([^)\s]+)\)/g)) links.push({ target: link[1]!, line: i + 1 });
  }
  return links;
}

// One program over the sources and every sample takes 10–30 s on a busy 2-core machine.
describe('the documentation', { timeout: 120_000 }, () => {
  let program: ts.Program;
  beforeAll(() => {
    program = compile();
  }, 120_000);

  it('has TypeScript samples in the README and in docs/', () => {
    expect(samples.filter((s) => s.doc === 'README.md').length).toBeGreaterThan(0);
    expect(samples.filter((s) => s.doc.startsWith('docs/')).length).toBeGreaterThan(10);
  });

  it('marks every TypeScript sample ```ts, so that it is checked', () => {
    const unmarked = blocks.filter((b) => ['typescript', 'tsx', 'mts', 'cts'].includes(b.lang));
    expect(unmarked.map((b) => `${b.doc}:${b.line}: \`\`\`${b.lang}`)).toEqual([]);
  });

  it('shows TypeScript samples that compile', () => {
    const problems = samples.flatMap((sample) => {
      const source = program.getSourceFile(sample.file)!;
      return [...program.getSyntacticDiagnostics(source), ...program.getSemanticDiagnostics(source)].map((d) =>
        located(sample, d),
      );
    });
    expect(problems).toEqual([]);
  });

  it('shows every export of planwright and planwright/testing in a sample of docs/api.md', () => {
    const checker = program.getTypeChecker();
    const api = samples.filter((s) => s.doc === 'docs/api.md').map((s) => program.getSourceFile(s.file)!);
    for (const [name, file] of Object.entries(ENTRY_POINTS)) {
      const module = checker.getSymbolAtLocation(program.getSourceFile(file)!)!;
      const exported = checker.getExportsOfModule(module).map((symbol) => symbol.name);
      const shown = new Set(api.flatMap((source) => importsOf(source, name)));
      expect(exported.length, name).toBeGreaterThan(10);
      expect(
        exported.filter((e) => !shown.has(e)),
        `exports of ${name} that no sample of docs/api.md imports`,
      ).toEqual([]);
    }
  });

  it('links to files and headings that exist, and to nothing outside the repository but public sites', () => {
    const broken: string[] = [];
    for (const doc of DOCS) {
      for (const { target, line } of linksOf(texts.get(doc)!)) {
        if (/^https:\/\//.test(target)) continue;
        if (/^[a-z]+:/i.test(target)) {
          broken.push(`${doc}:${line}: ${target} is not an https link`);
          continue;
        }
        const [file = '', anchor] = target.split('#');
        const resolved = file ? path.resolve(path.dirname(path.join(ROOT, doc)), file) : path.join(ROOT, doc);
        if (!resolved.startsWith(ROOT) || !existsSync(resolved)) {
          broken.push(`${doc}:${line}: ${target} leads nowhere in the repository`);
          continue;
        }
        if (anchor === undefined || !resolved.endsWith('.md')) continue;
        const text = texts.get(path.relative(ROOT, resolved)) ?? readFileSync(resolved, 'utf8');
        if (!anchorsOf(text).has(anchor)) broken.push(`${doc}:${line}: ${target} names no heading of its page`);
      }
    }
    expect(broken).toEqual([]);
  });
});
