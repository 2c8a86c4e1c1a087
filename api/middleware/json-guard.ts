import type { MiddlewareHandler } from 'hono';
import { BatonError } from '../../src/domain/errors.ts';
import { mayHaveBody } from './body-limit.ts';

/** Deepest nesting of arrays and objects a JSON body may have; free-form fields are walked recursively downstream. */
export const maxJsonDepth = 64;

// Hono's json validator parses exactly these bodies; anything else never becomes JSON.
const jsonContentType = /^application\/([a-z-.]+\+)?json/i;

/**
 * Refuses, with 400 invalid_request, what the store or the engine could never take: U+0000 in the
 * URL (path ids, query parameters) or anywhere in a JSON body (keys and strings, escaped or not),
 * an escaped unpaired surrogate (PostgreSQL's jsonb refuses both), and JSON nested deeper than
 * maxJsonDepth. The body is scanned as text before anything parses it,
 * so a body nested 100,000 levels costs a loop, not the stack.
 */
export function jsonGuard(): MiddlewareHandler {
  return async (c, next) => {
    // A NUL can only reach a decoded path or query as %00 (a raw one is not a valid URL).
    if (/%00/i.test(c.req.url) || c.req.url.includes('\u0000')) throw new BatonError('invalid_request', 'The URL contains a NUL character (%00), which Baton does not accept in ids or parameters.');
    if (mayHaveBody(c) && jsonContentType.test(c.req.header('content-type') ?? '')) {
      const problem = jsonTextProblem(await c.req.text());
      if (problem) throw new BatonError('invalid_request', problem.message, problem.details);
    }
    await next();
  };
}

/** Why `text` is refused, or null. Malformed JSON is left to the parser, which reports it as usual. */
export function jsonTextProblem(text: string): { message: string; details: { offset: number } } | null {
  let depth = 0;
  let inString = false;
  for (let offset = 0; offset < text.length; offset++) {
    const char = text.charCodeAt(offset);
    if (char === 0) return nulProblem(offset);
    if (inString) {
      if (char === 0x22 /* " */) inString = false;
      else if (char === 0x5c /* \ */) {
        const unit = text[offset + 1] === 'u' ? hexUnit(text, offset + 2) : null;
        if (unit === null) offset++;
        else if (unit === 0) return nulProblem(offset);
        else if (isLowSurrogate(unit)) return surrogateProblem(offset);
        else if (isHighSurrogate(unit)) {
          // A pair is one character, written as two escapes; half of one is not text.
          const low = text.startsWith('\\u', offset + 6) ? hexUnit(text, offset + 8) : null;
          if (low === null || !isLowSurrogate(low)) return surrogateProblem(offset);
          offset += 11;
        } else offset += 5;
      }
      continue;
    }
    if (char === 0x22) inString = true;
    else if (char === 0x5b /* [ */ || char === 0x7b /* { */) {
      if (++depth > maxJsonDepth) {
        return { message: `The JSON body is nested deeper than ${maxJsonDepth} levels of arrays and objects.`, details: { offset } };
      }
    } else if (char === 0x5d /* ] */ || char === 0x7d /* } */) depth--;
  }
  return null;
}

function hexUnit(text: string, at: number): number | null {
  const hex = text.slice(at, at + 4);
  return /^[0-9a-fA-F]{4}$/.test(hex) ? Number.parseInt(hex, 16) : null;
}

const isHighSurrogate = (unit: number) => unit >= 0xd800 && unit <= 0xdbff;
const isLowSurrogate = (unit: number) => unit >= 0xdc00 && unit <= 0xdfff;

function surrogateProblem(offset: number) {
  return { message: 'The JSON body contains half of a surrogate pair (\\ud800-\\udfff alone), which is not a character; send well-formed Unicode.', details: { offset } };
}

function nulProblem(offset: number) {
  return { message: 'The JSON body contains a NUL character (U+0000), which Baton does not accept in keys or strings.', details: { offset } };
}
