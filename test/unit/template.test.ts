import { describe, expect, it } from 'vitest';
import { formatTemplateValue, lookupPath, messageTemplateProblems, renderTemplate, templatePaths } from '../../src/domain/template.ts';

const scope = {
  task: 'Route this lead',
  state: { leadId: 'lead-123', employees: 1200, tags: ['a', 'b'], nested: { ok: true } },
  input: 'approve',
  steps: { classify: { output: { category: 'enterprise' } }, 'step-2': { output: 'two' } },
};

describe('renderTemplate', () => {
  it('renders task, state, input and step outputs by dotted path', () => {
    expect(renderTemplate('Route to {{steps.classify.output.category}} sales team?', scope)).toBe('Route to enterprise sales team?');
    expect(renderTemplate('{{task}} / {{ state.leadId }} / {{input}} / {{steps.step-2.output}}', scope)).toBe('Route this lead / lead-123 / approve / two');
    expect(renderTemplate('{{state.tags.1}} {{state.employees}} {{state.nested.ok}}', scope)).toBe('b 1200 true');
  });

  it('renders objects as JSON and missing values as nothing', () => {
    expect(renderTemplate('{{state.nested}} {{state.tags}}', scope)).toBe('{"ok":true} ["a","b"]');
    expect(renderTemplate('[{{state.missing}}][{{steps.nope.output}}][{{input.deeper}}]', scope)).toBe('[][][]');
    expect(renderTemplate('[{{input}}]', { input: null })).toBe('[]');
  });

  it('reads own properties only, never the prototype chain', () => {
    expect(renderTemplate('{{state.constructor}}{{state.__proto__}}{{task.length}}', scope)).toBe('');
    expect(lookupPath({ a: Object.create({ inherited: 1 }) as object }, 'a.inherited')).toBeUndefined();
  });

  it('leaves text that is not a placeholder alone', () => {
    expect(renderTemplate('no braces, {single}, {{ }}, {{bad path!}}', scope)).toBe('no braces, {single}, {{ }}, {{bad path!}}');
    expect(formatTemplateValue(0)).toBe('0');
    expect(formatTemplateValue(false)).toBe('false');
  });

  it('lists the paths a template refers to', () => {
    expect(templatePaths('Hi {{state.name}}, {{ steps.a.output }} {{state.name}}')).toEqual(['state.name', 'steps.a.output', 'state.name']);
    expect(templatePaths('plain')).toEqual([]);
  });
});

describe('messageTemplateProblems', () => {
  it('accepts placeholders the workflow renders and plain text', () => {
    expect(messageTemplateProblems('Approve {{ state.customer }} for {{task}}: {{steps.draft.output}} / {{input}}')).toEqual([]);
    expect(messageTemplateProblems('No placeholders, just } and { braces')).toEqual([]);
    expect(messageTemplateProblems('{{{input}}}')).toEqual([]);
  });

  it('refuses an opening the renderer would show as raw braces, and names the workflow does not provide', () => {
    expect(messageTemplateProblems('Hello {{ state.name')).toEqual([expect.stringMatching(/is not a placeholder/)]);
    expect(messageTemplateProblems('Hello {{state name}}')).toEqual([expect.stringMatching(/is not a placeholder/)]);
    expect(messageTemplateProblems('Hello {{customer}}')).toEqual([expect.stringMatching(/names "customer"; a message can name task, state, input, steps/)]);
  });
});
