import { describe, expect, it } from 'vitest';
import { answerFromForm, commentFromForm, fields, schemaFormFields } from '../../api/inbox/inbox-answer.ts';
import type { PendingAction } from '../../src/domain/pending-action.ts';
import type { BatonError } from '../../src/domain/errors.ts';

const confirmation: PendingAction = { step: 'approval', type: 'confirmation', message: 'Route?', options: ['approve', 'reject'] };
const toolApproval: PendingAction = { step: 'compute', type: 'tool_approval', message: 'Call?', options: ['approve', 'reject'], tool: { name: 'calculator', arguments: { expression: '6*7' } } };
const review: PendingAction = { step: 'classify', type: 'review', message: 'Review', proposedOutput: { category: 'enterprise' } };
const intake = { type: 'object', required: ['employees', 'region'], properties: { employees: { type: 'integer', minimum: 1 }, region: { enum: ['emea', 'amer', 7] }, notes: { type: 'string', title: 'Notes' }, vip: { type: 'boolean' }, score: { type: 'number' } } };
const input = (schema?: Record<string, unknown>): PendingAction => ({ step: 'details', type: 'input', message: 'Details?', ...(schema ? { schema } : {}) });

function refusal(run: () => unknown): Pick<BatonError, 'code' | 'message'> {
  try {
    run();
  } catch (error) {
    return { code: (error as BatonError).code, message: (error as BatonError).message };
  }
  throw new Error('expected a refusal');
}

describe('answerFromForm', () => {
  it('answers a confirmation with the option button pressed, whatever it says (the run checks the options)', () => {
    expect(answerFromForm(confirmation, { [fields.choice]: 'approve' })).toBe('approve');
    expect(answerFromForm(confirmation, { [fields.choice]: 'maybe' })).toBe('maybe');
    expect(refusal(() => answerFromForm(confirmation, {}))).toEqual({ code: 'invalid_request', message: 'Choose one of the options.' });
  });

  it('answers a tool approval with an option, or approves edited arguments as {decision, arguments}', () => {
    expect(answerFromForm(toolApproval, { [fields.choice]: 'reject', [fields.arguments]: '{"ignored":true}' })).toBe('reject');
    expect(answerFromForm(toolApproval, { [fields.editDecision]: 'approve', [fields.arguments]: '{"expression":"6*8"}' })).toEqual({ decision: 'approve', arguments: { expression: '6*8' } });
    const refused = refusal(() => answerFromForm(toolApproval, { [fields.editDecision]: 'approve', [fields.arguments]: '{"expression":' }));
    expect(refused.code).toBe('invalid_request');
    expect(refused.message).toMatch(/^The edited arguments could not be read as JSON/);
  });

  it('accepts a review as proposed, or sends the edited output as JSON or as text', () => {
    expect(answerFromForm(review, { [fields.accept]: '1', [fields.output]: '"edited"' })).toEqual({ category: 'enterprise' });
    expect(answerFromForm(review, { [fields.output]: '{"category":"smb"}', [fields.outputFormat]: 'json' })).toEqual({ category: 'smb' });
    expect(answerFromForm(review, { [fields.output]: 'plain words', [fields.outputFormat]: 'text' })).toBe('plain words');
    expect(refusal(() => answerFromForm(review, { [fields.output]: 'plain words', [fields.outputFormat]: 'json' })).code).toBe('invalid_request');
  });

  it('refuses JSON the API would refuse in a body: NUL escapes, half surrogate pairs, deep nesting', () => {
    expect(refusal(() => answerFromForm(review, { [fields.output]: '"a\\u0000b"' })).message).toMatch(/NUL/);
    expect(refusal(() => answerFromForm(review, { [fields.output]: '"\\ud800"' })).message).toMatch(/surrogate/);
    expect(refusal(() => answerFromForm(review, { [fields.output]: '['.repeat(65) + ']'.repeat(65) })).message).toMatch(/deeper than 64/);
    expect(refusal(() => answerFromForm(review, { [fields.output]: 'a\u0000b', [fields.outputFormat]: 'text' })).message).toMatch(/NUL/);
  });

  it('builds an input answer from the generated form: numbers typed, enums as their JSON values, booleans from checkboxes, empty optional fields left out', () => {
    const form = { [fields.property('employees')]: '40', [fields.property('region')]: '7', [fields.property('notes')]: '', [fields.property('score')]: '' };
    expect(answerFromForm(input(intake), form)).toEqual({ employees: 40, region: 7, vip: false });
    expect(answerFromForm(input(intake), { ...form, [fields.property('region')]: '"emea"', [fields.property('vip')]: 'true', [fields.property('score')]: '-1.5e2', [fields.property('notes')]: 'hi' }))
      .toEqual({ employees: 40, region: 'emea', vip: true, score: -150, notes: 'hi' });
  });

  it('sends what is not a number as typed, so the step schema check names the problem', () => {
    expect(answerFromForm(input(intake), { [fields.property('employees')]: 'many', [fields.property('region')]: '' })).toEqual({ employees: 'many', vip: false });
    expect(answerFromForm(input(intake), { [fields.property('employees')]: '0x10' })).toMatchObject({ employees: '0x10' });
  });

  it('answers an input step without a usable form from the textarea, as JSON or text', () => {
    expect(answerFromForm(input({ type: 'array', items: { type: 'string' } }), { [fields.answer]: '["a"]', [fields.answerFormat]: 'json' })).toEqual(['a']);
    expect(answerFromForm(input(), { [fields.answer]: 'free text', [fields.answerFormat]: 'text' })).toBe('free text');
    expect(refusal(() => answerFromForm(input(), {})).message).toBe('The answer is missing.');
  });
});

describe('schemaFormFields', () => {
  it('makes a form for an object of strings, numbers, integers, booleans and enums', () => {
    expect(schemaFormFields(intake)?.map((field) => [field.name, field.kind, field.required])).toEqual([
      ['employees', 'integer', true], ['region', 'enum', true], ['notes', 'string', false], ['vip', 'boolean', false], ['score', 'number', false],
    ]);
  });

  it('leaves anything else to a JSON textarea', () => {
    expect(schemaFormFields(undefined)).toBeNull();
    expect(schemaFormFields({ type: 'string' })).toBeNull();
    expect(schemaFormFields({ type: 'object', properties: { nested: { type: 'object' } } })).toBeNull();
    expect(schemaFormFields({ type: 'object', properties: { many: { type: ['string', 'null'] } } })).toBeNull();
    expect(schemaFormFields({ type: 'object', properties: { a: { type: 'string' } }, oneOf: [{ required: ['a'] }] })).toBeNull();
    expect(schemaFormFields({ type: 'object', required: ['b'], properties: { a: { type: 'string' } } })).toBeNull();
    expect(schemaFormFields({ type: 'object', properties: {} })).toBeNull();
  });
});

describe('commentFromForm', () => {
  it('keeps a trimmed comment, none for blank, and refuses one past 4000 characters', () => {
    expect(commentFromForm({ [fields.comment]: '  looks right \n' })).toBe('looks right');
    expect(commentFromForm({ [fields.comment]: '   ' })).toBeUndefined();
    expect(commentFromForm({})).toBeUndefined();
    expect(refusal(() => commentFromForm({ [fields.comment]: 'x'.repeat(4001) }))).toEqual({ code: 'invalid_request', message: 'The comment is 4001 characters long; at most 4000 are kept.' });
  });
});
