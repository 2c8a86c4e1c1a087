// From the inbox's answer form to the resume request the API would send: one field set per pending
// action type. Whether the answer fits (an option, the schema) is left to the run's resume check,
// so the inbox shows exactly the error the API gives; only what is not an answer at all (JSON that
// does not parse, text the store cannot keep) is refused here, before anything is sent.
import { BatonError } from '../../src/domain/errors.ts';
import type { PendingAction } from '../../src/domain/pending-action.ts';
import { jsonTextProblem } from '../middleware/json-guard.ts';

/** The longest comment a resume takes (the audit trail's limit). */
export const maxCommentLength = 4000;

/** A submitted form: field name → value (the first, when a name repeats). */
export type FormFields = Readonly<Record<string, string>>;

/** The answer form's field names, shared by the views that render them and this reader. */
export const fields = {
  step: 'step',
  version: 'version',
  comment: 'comment',
  /** An option button (confirmation, tool_approval). */
  choice: 'choice',
  /** tool_approval: the decision sent with edited arguments. */
  editDecision: 'edit_decision',
  arguments: 'arguments',
  /** review: accept the proposed output as it is. */
  accept: 'accept',
  output: 'output',
  outputFormat: 'output_format',
  /** input without a form: the answer as JSON or text. */
  answer: 'answer',
  answerFormat: 'answer_format',
  /** input with a form: `field.<property>` per schema property. */
  property: (name: string) => `field.${name}`,
} as const;

export type TextFormat = 'json' | 'text';

/** One input of a form generated from an input step's JSON Schema. */
export interface SchemaField {
  name: string;
  kind: 'string' | 'number' | 'integer' | 'boolean' | 'enum';
  required: boolean;
  title: string | null;
  description: string | null;
  /** For `enum`: the allowed values (any JSON). */
  options: unknown[];
  default: unknown;
}

// Keywords that only describe, or constrain one value in a way the resume check reports itself.
const describingKeywords = new Set(['$schema', '$id', '$comment', 'title', 'description', 'default', 'examples', 'deprecated', 'readOnly', 'writeOnly']);
const objectKeywords = new Set([...describingKeywords, 'type', 'properties', 'required', 'additionalProperties']);
const propertyKeywords = new Set([
  ...describingKeywords, 'type', 'enum',
  'minimum', 'maximum', 'exclusiveMinimum', 'exclusiveMaximum', 'multipleOf',
  'minLength', 'maxLength', 'pattern', 'format',
]);
const scalarTypes = new Set(['string', 'number', 'integer', 'boolean']);

/**
 * The fields of a form for `schema`, or null when a form cannot say it: only an object whose
 * properties are each a string, number, integer, boolean or enum (anything else gets a JSON textarea).
 */
export function schemaFormFields(schema: Record<string, unknown> | undefined): SchemaField[] | null {
  if (!schema || schema.type !== 'object' || !Object.keys(schema).every((key) => objectKeywords.has(key))) return null;
  const properties = schema.properties;
  if (!isObject(properties) || Object.keys(properties).length === 0) return null;
  const required = schema.required ?? [];
  if (!Array.isArray(required) || !required.every((name) => typeof name === 'string' && Object.hasOwn(properties, name))) return null;
  const result: SchemaField[] = [];
  for (const [name, property] of Object.entries(properties)) {
    if (!isObject(property) || !Object.keys(property).every((key) => propertyKeywords.has(key))) return null;
    const title = typeof property.title === 'string' ? property.title : null;
    const description = typeof property.description === 'string' ? property.description : null;
    const common = { name, required: required.includes(name), title, description, default: property.default };
    if (Array.isArray(property.enum)) {
      if (property.enum.length === 0) return null;
      result.push({ ...common, kind: 'enum', options: property.enum });
    } else if (typeof property.type === 'string' && scalarTypes.has(property.type)) {
      result.push({ ...common, kind: property.type as SchemaField['kind'], options: [] });
    } else {
      return null;
    }
  }
  // Stored schemas lose their key order (PostgreSQL jsonb); required fields first reads well anyway.
  return [...result.filter((field) => field.required), ...result.filter((field) => !field.required)];
}

/** The text form of a value in a textarea: text as it is, anything else as JSON. */
export function textFormatOf(value: unknown): TextFormat {
  return typeof value === 'string' ? 'text' : 'json';
}

/** What the resume's `input` is for this form; throws invalid_request when the form holds no answer. */
export function answerFromForm(action: PendingAction, form: FormFields): unknown {
  switch (action.type) {
    case 'confirmation':
      return choiceOf(form);
    case 'tool_approval': {
      const decision = form[fields.editDecision];
      if (decision === undefined) return choiceOf(form);
      return { decision, arguments: parseJson(form[fields.arguments] ?? '', 'The edited arguments') };
    }
    case 'review':
      if (form[fields.accept] !== undefined) return action.proposedOutput;
      return textOrJson(form[fields.output], form[fields.outputFormat], 'The edited output');
    case 'input': {
      const formFields = schemaFormFields(action.schema);
      if (!formFields) return textOrJson(form[fields.answer], form[fields.answerFormat], 'The answer');
      return objectFromFields(formFields, form);
    }
  }
}

/** The comment to keep with the answer, or undefined when there is none. */
export function commentFromForm(form: FormFields): string | undefined {
  const comment = (form[fields.comment] ?? '').trim();
  if (comment === '') return undefined;
  checkText(comment, 'The comment');
  if (comment.length > maxCommentLength) {
    throw new BatonError('invalid_request', `The comment is ${comment.length} characters long; at most ${maxCommentLength} are kept.`, { maxLength: maxCommentLength });
  }
  return comment;
}

function choiceOf(form: FormFields): string {
  const choice = form[fields.choice];
  if (choice === undefined) throw new BatonError('invalid_request', 'Choose one of the options.');
  checkText(choice, 'The choice');
  return choice;
}

function objectFromFields(formFields: SchemaField[], form: FormFields): Record<string, unknown> {
  const answer: Record<string, unknown> = {};
  for (const field of formFields) {
    const raw = form[fields.property(field.name)];
    if (field.kind === 'boolean') {
      // An unchecked box sends nothing: that is `false`, not "no answer".
      answer[field.name] = raw !== undefined;
      continue;
    }
    if (raw === undefined) continue;
    checkText(raw, `The field "${field.name}"`);
    if (field.kind === 'enum') {
      // Options carry their value as JSON, so enums of numbers or null keep their type.
      if (raw === '') continue;
      answer[field.name] = parseJson(raw, `The field "${field.name}"`);
    } else if (field.kind === 'number' || field.kind === 'integer') {
      const text = raw.trim();
      if (text === '') continue;
      // Not a number: sent as typed, so the step's schema check says what is wrong with it.
      answer[field.name] = /^-?(\d+\.?\d*|\.\d+)([eE][+-]?\d+)?$/.test(text) ? Number(text) : text;
    } else if (raw !== '' || field.required) {
      answer[field.name] = raw;
    }
  }
  return answer;
}

function textOrJson(text: string | undefined, format: string | undefined, what: string): unknown {
  if (text === undefined) throw new BatonError('invalid_request', `${what} is missing.`);
  if (format === 'text') {
    checkText(text, what);
    return text;
  }
  return parseJson(text, what);
}

function parseJson(text: string, what: string): unknown {
  // What the API refuses in a JSON body (NUL, half surrogate pairs, deep nesting) is refused here too.
  const problem = jsonTextProblem(text);
  if (problem) throw new BatonError('invalid_request', `${what}: ${problem.message}`, problem.details);
  try {
    return JSON.parse(text) as unknown;
  } catch (error) {
    throw new BatonError('invalid_request', `${what} could not be read as JSON: ${(error as Error).message}`);
  }
}

/** Text the store can keep: no NUL, no half of a surrogate pair. */
function checkText(text: string, what: string): void {
  if (text.includes('\u0000')) throw new BatonError('invalid_request', `${what} contains a NUL character (U+0000), which Baton does not accept.`);
  if (!text.isWellFormed()) throw new BatonError('invalid_request', `${what} contains half of a surrogate pair, which is not a character.`);
}

function isObject(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}
