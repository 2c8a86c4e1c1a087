import { z } from 'zod';
import { ToolError, type ToolDefinition } from './tool-registry.ts';

/** Splits `items[0].name`, `$.a.b` or `a["odd key"]` into keys and indices; rejects anything else. */
export function parseJsonPath(path: string): (string | number)[] {
  const text = path.trim().replace(/^\$/, '');
  const segment = /\.?([A-Za-z_$][\w$-]*)|\[(\d+)\]|\[("(?:[^"\\]|\\.)*")\]/y;
  const segments: (string | number)[] = [];
  let pos = 0;
  while (pos < text.length) {
    segment.lastIndex = pos;
    const match = segment.exec(text);
    // A bare name is only allowed first ("a.b"), never glued to the previous segment ("a[0]b").
    if (!match || (match[1] !== undefined && pos > 0 && text[pos] !== '.')) {
      throw new ToolError(`invalid path "${path}" at position ${pos + 1}: use a.b, a[0] or a["key"]`);
    }
    segments.push(match[1] ?? (match[2] !== undefined ? Number(match[2]) : JSON.parse(match[3]!) as string));
    pos = segment.lastIndex;
  }
  return segments;
}

/** Follows the path through objects and arrays; `found` is false when a segment is missing. */
export function selectJsonPath(value: unknown, path: string): { found: boolean; value: unknown } {
  let current = value;
  for (const segment of parseJsonPath(path)) {
    if (typeof segment === 'number' ? !Array.isArray(current) || segment >= current.length
      : current === null || typeof current !== 'object' || Array.isArray(current) || !Object.hasOwn(current, segment)) {
      return { found: false, value: null };
    }
    current = (current as Record<string | number, unknown>)[segment];
  }
  return { found: true, value: current };
}

const jsonPathParameters = z.object({
  json: z.union([z.string(), z.record(z.string(), z.unknown()), z.array(z.unknown())])
    .describe('The JSON document, as JSON text or as a value'),
  path: z.string().describe('Path to select, e.g. "items[0].name" or "$.data.total"'),
});

export const jsonPathTool: ToolDefinition<typeof jsonPathParameters> = {
  name: 'json_path',
  description: 'Selects one value from a JSON document by a path such as "items[0].name".',
  parameters: jsonPathParameters,
  async run({ json, path }) {
    let document: unknown = json;
    if (typeof json === 'string') {
      try {
        document = JSON.parse(json);
      } catch (error) {
        throw new ToolError(`json is not valid JSON: ${(error as Error).message}`);
      }
    }
    return selectJsonPath(document, path);
  },
};
