import { z } from 'zod';
import { ToolError, type ToolDefinition } from './tool-registry.ts';

const maxLength = 1_000;
// Bounds recursion so "((((…" from a model cannot overflow the stack.
const maxDepth = 100;

/**
 * Evaluates an arithmetic expression: numbers (decimals), + - * / % ^, parentheses and unary
 * minus/plus. `^` is right-associative and binds tighter than unary minus (-2^2 = -4). A small
 * recursive-descent parser, so nothing the model writes is ever evaluated as code.
 */
export function evaluateArithmetic(expression: string): number {
  if (expression.length > maxLength) throw new ToolError(`expression is longer than ${maxLength} characters`);
  let pos = 0;
  let depth = 0;

  const skipSpace = (): void => {
    while (pos < expression.length && /\s/.test(expression[pos]!)) pos++;
  };
  const peek = (): string | undefined => {
    skipSpace();
    return expression[pos];
  };
  const fail = (what: string): never => {
    const found = pos < expression.length ? `"${expression[pos]}"` : 'end of expression';
    throw new ToolError(`${what} at position ${pos + 1}, found ${found}`);
  };

  const parseExpression = (): number => {
    let value = parseTerm();
    for (let op = peek(); op === '+' || op === '-'; op = peek()) {
      pos++;
      const right = parseTerm();
      value = op === '+' ? value + right : value - right;
    }
    return value;
  };
  const parseTerm = (): number => {
    let value = parseUnary();
    for (let op = peek(); op === '*' || op === '/' || op === '%'; op = peek()) {
      pos++;
      const right = parseUnary();
      if ((op === '/' || op === '%') && right === 0) throw new ToolError('division by zero');
      value = op === '*' ? value * right : op === '/' ? value / right : value % right;
    }
    return value;
  };
  const parseUnary = (): number => {
    const op = peek();
    if (op === '-' || op === '+') {
      pos++;
      const value = nested(parseUnary);
      return op === '-' ? -value : value;
    }
    return parsePower();
  };
  const parsePower = (): number => {
    const base = parsePrimary();
    if (peek() !== '^') return base;
    pos++;
    return base ** nested(parseUnary);
  };
  const parsePrimary = (): number => {
    const c = peek();
    if (c === '(') {
      pos++;
      const value = nested(parseExpression);
      if (peek() !== ')') fail('expected ")"');
      pos++;
      return value;
    }
    const match = /^(?:\d+(?:\.\d+)?|\.\d+)/.exec(expression.slice(pos));
    if (!match) return fail('expected a number or "("');
    pos += match[0].length;
    return Number(match[0]);
  };
  const nested = (parse: () => number): number => {
    if (++depth > maxDepth) throw new ToolError(`expression is nested deeper than ${maxDepth} levels`);
    const value = parse();
    depth--;
    return value;
  };

  if (peek() === undefined) throw new ToolError('expression is empty');
  const result = parseExpression();
  if (peek() !== undefined) fail('unexpected character');
  if (!Number.isFinite(result)) throw new ToolError('result is not a finite number');
  return result;
}

const calculatorParameters = z.object({
  expression: z.string().describe('Arithmetic expression, e.g. "(2 + 3) * 4 ^ 2 / 10 % 7"'),
});

export const calculatorTool: ToolDefinition<typeof calculatorParameters> = {
  name: 'calculator',
  description: 'Evaluates an arithmetic expression with + - * / % ^ (power), parentheses, unary minus and decimals.',
  parameters: calculatorParameters,
  async run({ expression }) {
    return { expression, result: evaluateArithmetic(expression) };
  },
};
