import { describe, expect, it } from 'vitest';
import { calculatorTool, evaluateArithmetic } from '../../src/agents/tools/calculator.ts';
import { ToolError } from '../../src/agents/tools/tool-registry.ts';

describe('evaluateArithmetic', () => {
  it.each([
    ['1 + 2', 3],
    ['2 + 3 * 4', 14],
    ['(2 + 3) * 4', 20],
    ['10 - 4 - 3', 3],
    ['100 / 10 / 5', 2],
    ['7 % 3', 1],
    ['-7 % 3', -1],
    ['2 ^ 10', 1024],
    ['2 ^ 3 ^ 2', 512],
    ['-2 ^ 2', -4],
    ['(-2) ^ 2', 4],
    ['2 ^ -1', 0.5],
    ['--3', 3],
    ['+4', 4],
    ['-(1 + 2) * 3', -9],
    ['0.1 + 0.2', 0.1 + 0.2],
    ['.5 * 4', 2],
    ['3.25', 3.25],
    [' \t12\n/ 4 ', 3],
    ['((((1))))', 1],
    ['1 - -1', 2],
    ['6 * 7 % 5', 2],
  ])('%s = %d', (expression, expected) => {
    expect(evaluateArithmetic(expression)).toBe(expected);
  });

  it.each([
    ['', /empty/],
    ['   ', /empty/],
    ['1 +', /expected a number.*end of expression/],
    ['2 ** 3', /expected a number or "\(" at position 4/],
    ['(1 + 2', /expected "\)"/],
    ['1 + 2)', /unexpected character at position 6/],
    ['2 3', /unexpected character/],
    ['1e3', /unexpected character/],
    ['1.', /unexpected character/],
    ['Math.PI', /expected a number/],
    ['process.exit(1)', /expected a number/],
    ['constructor.constructor("return this")()', /expected a number/],
    ['1; 2', /unexpected character/],
    ['0x10', /unexpected character/],
    ['1 / 0', /division by zero/],
    ['5 % (2 - 2)', /division by zero/],
    ['10 ^ 400', /not a finite number/],
    ['('.repeat(200) + '1' + ')'.repeat(200), /nested deeper than 100/],
    ['1+'.repeat(600) + '1', /longer than 1000/],
  ])('rejects %j', (expression, message) => {
    expect(() => evaluateArithmetic(expression)).toThrow(ToolError);
    expect(() => evaluateArithmetic(expression)).toThrow(message);
  });

  it('returns the expression with its result as the tool answer', async () => {
    const signal = new AbortController().signal;
    await expect(calculatorTool.run({ expression: '6*7' }, { agentId: 'a', runId: 'r', step: 's', signal })).resolves.toEqual({ expression: '6*7', result: 42 });
  });
});
