import { describe, expect, it } from 'vitest';
import { inputSchemaProblems } from '../../src/domain/input-schema.ts';
import { stepInputSchema } from '../../src/domain/definition-input.ts';
import { checkResume } from '../../src/workflows/resume-check.ts';

describe('inputSchemaProblems', () => {
  it('accepts schemas the resume validator evaluates, with local references', () => {
    expect(inputSchemaProblems({ type: 'object', properties: { amount: { type: 'number', minimum: 1 } }, required: ['amount'] })).toEqual([]);
    expect(inputSchemaProblems({ $defs: { n: { type: ['integer', 'null'] } }, items: { $ref: '#/$defs/n' }, patternProperties: { '^x': true } })).toEqual([]);
  });

  it.each([
    [{ type: 5 }, /type must name JSON types/],
    [{ type: 'text' }, /type must name JSON types/],
    [{ enum: 5 }, /enum must be an array/],
    [{ allOf: 5 }, /allOf must be a non-empty array/],
    [{ anyOf: [] }, /anyOf must be a non-empty array/],
    [{ required: 'x' }, /required must be an array/],
    [{ properties: { a: { pattern: '[' } } }, /#\/properties\/a\/pattern is not a regular expression/],
    [{ patternProperties: { '(': {} } }, /patternProperties is not a regular expression/],
    [{ minimum: 'a' }, /minimum must be a number/],
    [{ minLength: -1 }, /minLength must be a non-negative integer/],
    [{ multipleOf: 0 }, /multipleOf must be greater than 0/],
    [{ properties: 5 }, /properties must be an object of schemas/],
    [{ items: 5 }, /items must be a schema/],
    [{ $ref: 'http://example.com/s.json' }, /remote references are not fetched/],
    [{ properties: { a: { $ref: '#/$defs/missing' } } }, /points at nothing/],
    [{ properties: { a: { $ref: '#missing-anchor' } } }, /names no \$anchor/],
    [{ $ref: '#' }, /refers to itself without end/],
    [{ properties: { a: { $ref: '#/properties/a' } } }, /refers to itself without end/],
  ])('refuses %j', (schema, problem) => {
    expect(inputSchemaProblems(schema as Record<string, unknown>).join('\n')).toMatch(problem);
  });

  it('is what an input step added through the API is checked with', () => {
    const refused = stepInputSchema.safeParse({ type: 'input', message: 'How much?', schema: { type: 'number', pattern: '(' } });
    expect(refused.success).toBe(false);
    expect(JSON.stringify(refused.error?.issues)).toMatch(/not a regular expression/);
    expect(stepInputSchema.safeParse({ type: 'input', message: 'How much?', schema: { type: 'number' } }).success).toBe(true);
  });
});

describe('the resume check with a schema it cannot evaluate', () => {
  it('answers invalid_resume_input instead of throwing', () => {
    const run = { project: 'p', status: 'paused' as const, pendingAction: { step: 's', type: 'input' as const, message: 'm', schema: { $ref: '#/nowhere' } } };
    const rejection = checkResume(run, { step: 's', input: 1 }, undefined);
    expect(rejection?.code).toBe('invalid_resume_input');
    expect(rejection?.message).toMatch(/cannot check this input/);
  });
});

describe('local references', () => {
  it('refuses a $ref to nothing even where no sample input reaches it', () => {
    expect(inputSchemaProblems({ properties: { n: { $ref: '#/$defs/missing' } } }).join('\n')).toMatch(/points at nothing/);
    expect(inputSchemaProblems({ $defs: { 'a/b': { type: 'string' } }, properties: { n: { $ref: '#/$defs/a~1b' } } })).toEqual([]);
  });
});

describe('anchors', () => {
  it('accepts a reference to an $anchor the schema declares', () => {
    expect(inputSchemaProblems({ $defs: { n: { $anchor: 'num', type: 'number' } }, properties: { n: { $ref: '#num' } } })).toEqual([]);
  });
});
