/**
 * `calculator`: arithmetic by a small recursive-descent parser. Never eval.
 *
 *   expression := term (('+' | '-') term)*
 *   term       := unary (('*' | '/' | '%') unary)*
 *   unary      := '-' unary | '+' unary | power
 *   power      := primary ('^' unary)?          (so -2^2 = -4 and 2^-1 = 0.5)
 *   primary    := number | constant | function '(' expression (',' expression)* ')' | '(' expression ')'
 */
import { z } from 'zod';
import { defineTool, ToolError } from './define.js';

const FUNCTIONS: Record<string, { arity: [number, number]; fn: (...xs: number[]) => number }> = {
  abs: { arity: [1, 1], fn: Math.abs },
  sqrt: { arity: [1, 1], fn: Math.sqrt },
  round: { arity: [1, 2], fn: (x, digits = 0) => Math.round(x * 10 ** digits) / 10 ** digits },
  floor: { arity: [1, 1], fn: Math.floor },
  ceil: { arity: [1, 1], fn: Math.ceil },
  ln: { arity: [1, 1], fn: Math.log },
  log10: { arity: [1, 1], fn: Math.log10 },
  exp: { arity: [1, 1], fn: Math.exp },
  min: { arity: [1, 64], fn: Math.min },
  max: { arity: [1, 64], fn: Math.max },
};
const CONSTANTS: Record<string, number> = { pi: Math.PI, e: Math.E };

type Token = { kind: 'number'; value: number; at: number } | { kind: 'name' | 'op'; text: string; at: number };

function tokenize(source: string): Token[] {
  const tokens: Token[] = [];
  const pattern = /\s*(?:(\d+(?:\.\d*)?(?:[eE][-+]?\d+)?|\.\d+(?:[eE][-+]?\d+)?)|([A-Za-z_]\w*)|([-+*/%^(),]))/y;
  let at = 0;
  while (at < source.length) {
    if (/^\s*$/.test(source.slice(at))) break;
    pattern.lastIndex = at;
    const m = pattern.exec(source);
    if (!m) throw new ToolError(`unexpected character "${source.slice(at).trim()[0]}" at position ${at + 1}`, false);
    const start = m.index + m[0].length - (m[1] ?? m[2] ?? m[3] ?? '').length;
    if (m[1] !== undefined) tokens.push({ kind: 'number', value: Number(m[1]), at: start });
    else if (m[2] !== undefined) tokens.push({ kind: 'name', text: m[2].toLowerCase(), at: start });
    else tokens.push({ kind: 'op', text: m[3] as string, at: start });
    at = pattern.lastIndex;
  }
  return tokens;
}

/**
 * Evaluates an arithmetic expression: + - * / % ^, parentheses, pi, e and abs, sqrt, round, floor,
 * ceil, ln, log10, exp, min, max.
 * @throws {ToolError} (not retryable) naming the position of the first problem.
 */
export function evaluate(source: string): number {
  const tokens = tokenize(source);
  let pos = 0;
  const peek = () => tokens[pos];
  const fail = (message: string): never => {
    const at = peek()?.at;
    throw new ToolError(at === undefined ? `${message} at the end` : `${message} at position ${at + 1}`, false);
  };
  const isOp = (text: string) => {
    const t = peek();
    return t?.kind === 'op' && t.text === text;
  };
  const expect = (text: string) => (isOp(text) ? pos++ : fail(`expected "${text}"`));

  const expression = (): number => {
    let value = term();
    while (isOp('+') || isOp('-'))
      value = (tokens[pos++] as { text: string }).text === '+' ? value + term() : value - term();
    return value;
  };
  const term = (): number => {
    let value = unary();
    while (isOp('*') || isOp('/') || isOp('%')) {
      const op = (tokens[pos++] as { text: string }).text;
      const right = unary();
      if (op !== '*' && right === 0) throw new ToolError('division by zero', false);
      value = op === '*' ? value * right : op === '/' ? value / right : value % right;
    }
    return value;
  };
  const power = (): number => {
    const base = primary();
    if (!isOp('^')) return base;
    pos++;
    return base ** unary();
  };
  const unary = (): number => {
    if (isOp('-')) return (pos++, -unary());
    if (isOp('+')) return (pos++, unary());
    return power();
  };
  const primary = (): number => {
    const t = peek();
    if (!t) return fail('expected a number');
    if (t.kind === 'number') return (pos++, t.value);
    if (t.kind === 'op' && t.text === '(') {
      pos++;
      const value = expression();
      expect(')');
      return value;
    }
    if (t.kind === 'name') {
      pos++;
      if (Object.hasOwn(CONSTANTS, t.text) && !isOp('(')) return CONSTANTS[t.text] as number;
      const spec = FUNCTIONS[t.text];
      if (!spec || !Object.hasOwn(FUNCTIONS, t.text)) {
        pos--;
        return fail(`unknown name "${t.text}" (functions: ${Object.keys(FUNCTIONS).join(', ')}; constants: pi, e)`);
      }
      expect('(');
      const args = [expression()];
      while (isOp(',')) {
        pos++;
        args.push(expression());
      }
      expect(')');
      const [least, most] = spec.arity;
      if (args.length < least || args.length > most) {
        throw new ToolError(`${t.text}() takes ${least === most ? least : `${least} to ${most}`} arguments`, false);
      }
      return spec.fn(...args);
    }
    return fail(`unexpected "${t.text}"`);
  };

  if (tokens.length === 0) throw new ToolError('the expression is empty', false);
  const value = expression();
  if (pos < tokens.length) fail('unexpected input');
  if (!Number.isFinite(value)) throw new ToolError(`the result is not a finite number (${value})`, false);
  return value;
}

/** The `calculator` tool. */
export const calculator = defineTool({
  name: 'calculator',
  description:
    'Evaluates an arithmetic expression exactly as written: + - * / % ^ and parentheses, constants pi and e, ' +
    'functions abs, sqrt, round(x, digits), floor, ceil, ln, log10, exp, min, max.',
  input: z.object({ expression: z.string().min(1).max(2000) }),
  output: z.object({ expression: z.string(), value: z.number() }),
  run: ({ expression }) => ({ expression, value: evaluate(expression) }),
});
