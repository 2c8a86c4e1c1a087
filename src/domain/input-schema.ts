// The JSON Schema of an input step, read by the validator the resume check uses. No zod here:
// workflow code imports this module through the resume check.
import { Validator } from '@cfworker/json-schema';

/** The validator a resume's input is checked with; the API compiles every accepted schema with it. */
export function inputSchemaValidator(schema: Record<string, unknown>): Validator {
  return new Validator(schema, '2020-12', false);
}

const subschemaKeywords = ['not', 'if', 'then', 'else', 'items', 'contains', 'additionalProperties', 'propertyNames', 'unevaluatedItems', 'unevaluatedProperties', 'contentSchema'];
const subschemaMapKeywords = ['properties', 'patternProperties', '$defs', 'definitions', 'dependentSchemas'];
const subschemaListKeywords = ['allOf', 'anyOf', 'oneOf', 'prefixItems'];
const numberKeywords = ['minimum', 'maximum', 'exclusiveMinimum', 'exclusiveMaximum', 'multipleOf'];
const countKeywords = ['minLength', 'maxLength', 'minItems', 'maxItems', 'minProperties', 'maxProperties', 'minContains', 'maxContains'];
const typeNames = new Set(['null', 'boolean', 'object', 'array', 'number', 'string', 'integer']);
// Instances of every JSON type: a schema the validator cannot evaluate on them is refused.
const probes: unknown[] = [null, true, 0, 1.5, '', 'a', [], [null, 'a', 1], {}, { a: null }];

/**
 * Why `schema` cannot check resume inputs, empty when it can: keywords must have the shapes JSON
 * Schema 2020-12 gives them (the validator trusts them and would throw mid-resume), patterns must
 * compile, `$ref`s must point inside the schema, and the validator must evaluate it on sample inputs.
 */
export function inputSchemaProblems(schema: Record<string, unknown>): string[] {
  const problems: string[] = [];
  const anchors = new Set<string>();
  const propertyNames = new Set<string>();
  const anchorRefs: Array<{ ref: string; path: string }> = [];
  // Iterative walk: nesting is bounded by the API's JSON depth limit, but the walk need not trust it.
  const pending: Array<{ node: unknown; path: string }> = [{ node: schema, path: '#' }];
  while (pending.length > 0 && problems.length < 20) {
    const { node, path } = pending.pop()!;
    if (typeof node === 'boolean') continue;
    if (!isObject(node)) {
      problems.push(`${path} must be a schema (an object or a boolean)`);
      continue;
    }
    for (const keyword of subschemaKeywords) if (keyword in node) pending.push({ node: node[keyword], path: `${path}/${keyword}` });
    for (const keyword of subschemaMapKeywords) {
      if (!(keyword in node)) continue;
      const map = node[keyword];
      if (!isObject(map)) {
        problems.push(`${path}/${keyword} must be an object of schemas`);
        continue;
      }
      for (const [key, sub] of Object.entries(map)) {
        if (keyword === 'patternProperties') checkPattern(key, `${path}/${keyword}`, problems);
        if (keyword === 'properties') propertyNames.add(key);
        pending.push({ node: sub, path: `${path}/${keyword}/${key}` });
      }
    }
    for (const keyword of subschemaListKeywords) {
      if (!(keyword in node)) continue;
      const list = node[keyword];
      if (!Array.isArray(list) || (keyword !== 'prefixItems' && list.length === 0)) {
        problems.push(`${path}/${keyword} must be a non-empty array of schemas`);
        continue;
      }
      list.forEach((sub, index) => pending.push({ node: sub, path: `${path}/${keyword}/${index}` }));
    }
    checkShapes(node, path, problems);
    for (const keyword of ['$ref', '$dynamicRef']) {
      const ref = node[keyword];
      if (typeof ref === 'string' && ref.startsWith('#/') && resolvePointer(schema, ref) === undefined) problems.push(`${path}/${keyword} "${ref}" points at nothing in the schema`);
      else if (typeof ref === 'string' && ref.length > 1 && !ref.startsWith('#/')) anchorRefs.push({ ref, path: `${path}/${keyword}` });
    }
    for (const keyword of ['$anchor', '$dynamicAnchor']) if (typeof node[keyword] === 'string') anchors.add(node[keyword]);
  }
  for (const { ref, path } of anchorRefs) if (!anchors.has(ref.slice(1))) problems.push(`${path} "${ref}" names no $anchor in the schema`);
  if (problems.length === 0) problems.push(...evaluationProblems(schema, propertyNames));
  return problems;
}

/** The value a local `#/a/b` reference names (RFC 6901, URI-encoded), or undefined. */
function resolvePointer(root: unknown, ref: string): unknown {
  let value: unknown = root;
  for (const raw of ref.slice(2).split('/')) {
    let segment: string;
    try {
      segment = decodeURIComponent(raw).replaceAll('~1', '/').replaceAll('~0', '~');
    } catch {
      return undefined;
    }
    if (typeof value !== 'object' || value === null || !Object.hasOwn(value, segment)) return undefined;
    value = (value as Record<string, unknown>)[segment];
  }
  return value;
}

function checkShapes(node: Record<string, unknown>, path: string, problems: string[]): void {
  if ('type' in node) {
    const types = Array.isArray(node.type) ? node.type : [node.type];
    if (types.length === 0 || !types.every((type) => typeof type === 'string' && typeNames.has(type))) {
      problems.push(`${path}/type must name JSON types (${[...typeNames].join(', ')})`);
    }
  }
  if ('enum' in node && !Array.isArray(node.enum)) problems.push(`${path}/enum must be an array`);
  if ('required' in node && !(Array.isArray(node.required) && node.required.every((name) => typeof name === 'string'))) {
    problems.push(`${path}/required must be an array of property names`);
  }
  if ('dependentRequired' in node) {
    const map = node.dependentRequired;
    if (!isObject(map) || !Object.values(map).every((names) => Array.isArray(names) && names.every((name) => typeof name === 'string'))) {
      problems.push(`${path}/dependentRequired must map property names to arrays of property names`);
    }
  }
  for (const keyword of numberKeywords) {
    if (keyword in node && !(typeof node[keyword] === 'number' && Number.isFinite(node[keyword]))) problems.push(`${path}/${keyword} must be a number`);
  }
  if ('multipleOf' in node && typeof node.multipleOf === 'number' && !(node.multipleOf > 0)) problems.push(`${path}/multipleOf must be greater than 0`);
  for (const keyword of countKeywords) {
    if (keyword in node && !(Number.isInteger(node[keyword]) && (node[keyword] as number) >= 0)) problems.push(`${path}/${keyword} must be a non-negative integer`);
  }
  if ('pattern' in node) {
    if (typeof node.pattern !== 'string') problems.push(`${path}/pattern must be a string`);
    else checkPattern(node.pattern, `${path}/pattern`, problems);
  }
  if ('format' in node && typeof node.format !== 'string') problems.push(`${path}/format must be a string`);
  for (const keyword of ['$ref', '$dynamicRef']) {
    if (!(keyword in node)) continue;
    const ref = node[keyword];
    if (typeof ref !== 'string' || !ref.startsWith('#')) problems.push(`${path}/${keyword} must point inside the schema ("#/$defs/…"); remote references are not fetched`);
  }
}

function checkPattern(pattern: string, path: string, problems: string[]): void {
  try {
    new RegExp(pattern, 'u');
  } catch (error) {
    problems.push(`${path} is not a regular expression: ${(error as Error).message}`);
  }
}

/** What the validator itself throws on: unresolved `$ref`s, references that loop without end. */
function evaluationProblems(schema: Record<string, unknown>, propertyNames: ReadonlySet<string>): string[] {
  // Also an object with every property the schema names, so their subschemas are evaluated too.
  const named = Object.fromEntries([...propertyNames].map((name) => [name, null]));
  try {
    const validator = inputSchemaValidator(schema);
    for (const probe of [...probes, named]) validator.validate(probe);
    return [];
  } catch (error) {
    const message = error instanceof RangeError ? 'it refers to itself without end' : (error as Error).message.split('\n')[0];
    return [`the schema cannot be evaluated: ${message}`];
  }
}

function isObject(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}
