import { describe, expect, it } from 'vitest';
import { evaluate } from '../../src/tools/calculator.js';
import { ToolError } from '../../src/tools/define.js';

describe('calculator', () => {
  it.each([
    ['1 + 2 * 3', 7],
    ['(1 + 2) * 3', 9],
    ['2 ^ 3 ^ 2', 512],
    ['-2 ^ 2', -4],
    ['2 ^ -1', 0.5],
    ['10 % 4', 2],
    ['round(92 / 318 * 100, 1)', 28.9],
    ['max(1, 5, 3) + min(4, 2)', 7],
    ['sqrt(16) + abs(-2) + floor(2.7) + ceil(2.1)', 11],
    ['2 * pi', 2 * Math.PI],
    ['1.5e3 + .5', 1500.5],
  ])('%s = %d', (expression, value) => {
    expect(evaluate(expression)).toBeCloseTo(value, 10);
  });

  it.each([
    ['', 'the expression is empty'],
    ['1 +', 'expected a number at the end'],
    ['(1 + 2', 'expected ")" at the end'],
    ['1 / 0', 'division by zero'],
    ['2 3', 'unexpected input at position 3'],
    ['process', 'unknown name "process"'],
    ['process.exit(1)', 'unexpected character "." at position 8'],
    ['constructor', 'unknown name "constructor"'],
    ['require("fs")', 'unexpected character "\"" at position 9'],
    ['eval(1)', 'unknown name "eval"'],
    ['1; 2', 'unexpected character ";" at position 2'],
    ['round(1, 2, 3)', 'round() takes 1 to 2 arguments'],
    ['10 ^ 400', 'the result is not a finite number'],
  ])('refuses %j', (expression, message) => {
    expect(() => evaluate(expression)).toThrow(ToolError);
    expect(() => evaluate(expression)).toThrow(message);
  });
});
