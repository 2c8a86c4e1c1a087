// fast-check arbitraries for what a caller may send to build a definition, shaped like
// stepInputSchema and definitionCreateSchema (src/domain/definition-input.ts). zod has no
// arbitrary generator, so each field is built by hand from its schema, weighted to that schema's
// edges: values just inside and just outside every bound, plus free-form JSON where the schema
// takes any (input-step schemas, resume answers). Which ones the API must accept is decided by
// the schemas themselves in the property test, never by this file.
import fc from 'fast-check';

/** Mostly values the schema takes, sometimes one just outside it, so that most steps get in and run. */
function edged<T>(inside: fc.Arbitrary<T>, outside: fc.Arbitrary<T>): fc.Arbitrary<T> {
  return fc.oneof({ arbitrary: inside, weight: 8 }, { arbitrary: outside, weight: 1 });
}

/** Agents the contract stack registers, and one it does not. */
const agentIds = ['web_agent', 'procurator_assistant', 'ghost-agent'] as const;

export const durationArb: fc.Arbitrary<unknown> = edged(
  fc.oneof(
    // Short, so runs settle while the test watches.
    fc.constantFrom('1ms', '5ms', '50ms', '0.5s', '1s', '2s', '0.001s', 20, 300),
    // Long: a pause that outlives the test, an activity timeout that never fires.
    fc.constantFrom('3650d', '521w', '1.5h', '3651d'),
  ),
  fc.oneof(
    // White space, zero, exponents, too long, too precise, negative, not a number.
    fc.constantFrom('5\ts', '5 s', ' 1s', '0s', '0ms', 0, -1, 1.5, '1e400', '1e3s', '99999999999999999999d', '0.0001s', 'soon', '', null, true),
    fc.tuple(fc.nat({ max: 2_000_000_000 }), fc.constantFrom('ms', 's', 'm', 'h', 'd', 'w', 'y', '')).map(([n, unit]) => `${n}${unit}`),
  ),
);

const pauseTimeoutArb = fc.oneof(durationArb, fc.constant('never'));

const retryArb: fc.Arbitrary<unknown> = fc.record(
  {
    attempts: edged(fc.integer({ min: 1, max: 3 }), fc.constantFrom(0, 101, 1.5, -1)),
    backoff: durationArb,
    backoffCoefficient: edged(fc.constantFrom(1, 2, 10), fc.constantFrom(0, 0.5, 10.5, -1)),
  },
  { requiredKeys: [] },
);

/** Messages: plain, placeholders the workflow renders, and openings it would show raw. */
const messageArb = edged(
  fc.oneof(fc.constantFrom('Approve?', 'Ship {{task}} for {{ state.customer }}?', 'Previous: {{steps.step-1.output}} / {{input}}', '{{{input}}}'), fc.string({ minLength: 1, maxLength: 30 })),
  fc.constantFrom('Broken {{ state.x', '{{who}} decides', '{{state name}}', '', '}} {{'),
);

/** JSON Schemas: sound ones, known traps, and random keyword soup over any JSON. */
const jsonSchemaArb: fc.Arbitrary<unknown> = fc.oneof(
  fc.constantFrom(
    { type: 'object', properties: { amount: { type: 'number', minimum: 1 } }, required: ['amount'] },
    { type: 'string', pattern: '^[a-z]+$' },
    { $defs: { n: { type: 'integer' } }, items: { $ref: '#/$defs/n' } },
  ),
  fc.constantFrom(
    { type: 'string', pattern: '(' },
    { $ref: '#' },
    { properties: { a: { $ref: '#/properties/a' } } },
    { properties: { n: { $ref: '#/$defs/missing' } } },
    { $ref: 'http://example.com/schema.json' },
    { enum: 5 },
    { allOf: [] },
    { type: 'text' },
  ),
  fc.dictionary(
    fc.constantFrom('type', 'minimum', 'maxLength', 'pattern', 'enum', 'const', 'required', 'properties', 'items', 'allOf', 'anyOf', 'not', '$ref', 'format', 'multipleOf'),
    fc.jsonValue({ maxDepth: 3 }),
    { maxKeys: 4 },
  ),
);

const stepNameArb = fc.constantFrom('step-1', 'step-2', 'step-3', 'gate', 'ask');
const nextArb: fc.Arbitrary<unknown> = fc.dictionary(
  fc.constantFrom('yes', 'no', '*', 'approve', 'true', '1'),
  edged(fc.oneof(fc.constantFrom('continue', 'end', 'fail', 'ghost'), stepNameArb), fc.constantFrom('Not A Slug', '')),
  { maxKeys: 3 },
);

// N-of-M approvals: fits the options or not (a counted option they lack, more required than approvers).
const quorumArb: fc.Arbitrary<unknown> = edged<unknown>(
  fc.record(
    {
      required: fc.integer({ min: 1, max: 3 }),
      approvers: fc.constantFrom(['alice'], ['alice', 'bob', 'carol']),
      option: fc.constantFrom('yes', 'approve', 'no'),
      otherAnswerEnds: fc.boolean(),
    },
    { requiredKeys: ['required'] },
  ),
  fc.constantFrom({ required: 0 }, { required: '2' }, { required: 1, approvers: [] }, { required: 1, approvers: ['not a label'] }, { required: 1, extra: true }, 2),
);

const commonArb = {
  name: stepNameArb,
  stepOrder: edged(fc.integer({ min: 1, max: 4 }), fc.constantFrom(0, 10_001, 1.5)),
  retry: retryArb,
  timeout: durationArb,
  pauseTimeout: pauseTimeoutArb,
  next: nextArb,
};

export const stepArb: fc.Arbitrary<Record<string, unknown>> = fc.oneof(
  fc.record(
    {
      ...commonArb,
      type: fc.constant('agent'),
      agentId: edged(fc.constantFrom(agentIds[0], agentIds[1]), fc.constantFrom(agentIds[2], 'Not A Slug')),
      action: edged(fc.constantFrom('Summarize {{input}}', 'Search'), fc.constant('')),
      requireApproval: fc.boolean(),
    },
    { requiredKeys: ['agentId', 'action'] },
  ),
  fc.record(
    {
      ...commonArb,
      type: fc.constant('approval'),
      message: messageArb,
      options: edged<string[]>(fc.constantFrom(['yes', 'no'], ['approve', 'reject']), fc.constantFrom([], [''])),
      quorum: quorumArb,
    },
    { requiredKeys: ['type', 'message', 'options'] },
  ),
  fc.record(
    { ...commonArb, type: fc.constant('input'), message: messageArb, schema: jsonSchemaArb },
    { requiredKeys: ['type', 'message'] },
  ),
).map((step) => step as Record<string, unknown>);

export const definitionArb = fc.record({
  create: fc.record({ name: edged(fc.constantFrom('prop', 'Property run'), fc.constant('')), pauseTimeout: pauseTimeoutArb }, { requiredKeys: ['name'] }),
  steps: fc.array(stepArb, { minLength: 1, maxLength: 4 }),
  /** Answers tried in turn while the run is paused: an option, a string, any JSON. */
  answers: fc.array(fc.oneof(fc.constantFrom('yes', 'no', 'approve', 'reject'), fc.jsonValue({ maxDepth: 3 }), fc.record({ amount: fc.integer() })), { minLength: 3, maxLength: 3 }),
});
export type GeneratedDefinition = typeof definitionArb extends fc.Arbitrary<infer T> ? T : never;
