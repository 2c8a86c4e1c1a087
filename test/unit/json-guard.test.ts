import { describe, expect, it } from 'vitest';
import { createApp } from '../../api/app.ts';
import { jsonTextProblem, maxJsonDepth } from '../../api/middleware/json-guard.ts';
import { createRouter } from '../../api/router.ts';
import type { ErrorBody } from '../../src/domain/errors.ts';

const nested = (depth: number) => '['.repeat(depth) + ']'.repeat(depth);

describe('jsonTextProblem', () => {
  it('accepts ordinary JSON, escapes that only look like NUL, and nesting up to the bound', () => {
    expect(jsonTextProblem('{"a":[1,"x",{"b":null}],"c":"\\\\u0000 is text"}')).toBeNull();
    expect(jsonTextProblem('"\\ud83d\\ude00 a pair is one character"')).toBeNull();
    expect(jsonTextProblem('{"s":"[[[[ brackets in strings do not nest"}')).toBeNull();
    expect(jsonTextProblem(nested(maxJsonDepth))).toBeNull();
  });

  it('refuses U+0000 escaped or raw, in keys and in values at any depth', () => {
    expect(jsonTextProblem('{"a\\u0000":1}')?.message).toMatch(/NUL/);
    expect(jsonTextProblem('{"a":[{"b":"x\\u0000y"}]}')?.message).toMatch(/NUL/);
    expect(jsonTextProblem('{"a":"\\\\\\u0000"}')?.message).toMatch(/NUL/);
    expect(jsonTextProblem('{"a":"x\u0000"}')?.message).toMatch(/NUL/);
  });

  it('refuses half of a surrogate pair', () => {
    expect(jsonTextProblem('"\\ud800"')?.message).toMatch(/surrogate/);
    expect(jsonTextProblem('"\\udc00\\ud800"')?.message).toMatch(/surrogate/);
    expect(jsonTextProblem('"\\ud800\\u0041"')?.message).toMatch(/surrogate/);
  });

  it('refuses nesting one past the bound, and 100,000 levels without touching the stack', () => {
    expect(jsonTextProblem(nested(maxJsonDepth + 1))?.message).toMatch(/deeper than 64/);
    expect(jsonTextProblem(`{"state":${'{"a":'.repeat(100_000)}1${'}'.repeat(100_000)}}`)?.message).toMatch(/deeper than 64/);
  });
});

describe('the JSON guard in the app', () => {
  const probe = createRouter();
  probe.post('/echo/:id', async (c) => c.json({ id: c.req.param('id'), body: (await c.req.json()) as unknown }));
  probe.get('/echo/:id', (c) => c.json({ id: c.req.param('id'), q: c.req.query('q') ?? null }));
  const app = createApp({ apiKeys: new Map(), maxBodyBytes: 2_000_000, readiness: {}, routes: [{ path: '/v1', app: probe }] });
  const post = (path: string, body: string, contentType = 'application/json') => app.request(path, { method: 'POST', headers: { 'content-type': contentType }, body });

  it('lets a clean body through to the route, which still reads it', async () => {
    const response = await post('/v1/echo/a1', '{"x":[1,{"y":"z"}]}');
    expect(response.status).toBe(200);
    expect(await response.json()).toEqual({ id: 'a1', body: { x: [1, { y: 'z' }] } });
  });

  it('answers 400 invalid_request for NUL in a body, a path id and a query parameter', async () => {
    for (const response of [
      await post('/v1/echo/a1', '{"deep":{"k\\u0000":1}}'),
      await post('/v1/echo/a1', '{"deep":{"k":"v\\u0000"}}', 'application/merge-patch+json; charset=utf-8'),
      await app.request('/v1/echo/a%001'),
      await app.request('/v1/echo/a1?q=x%00y'),
    ]) {
      expect(response.status).toBe(400);
      const { error } = (await response.json()) as ErrorBody;
      expect([error.code, error.message]).toEqual(['invalid_request', expect.stringMatching(/NUL/) as string]);
    }
  });

  it('answers 400, not 500, for a body nested 10,000 levels deep', async () => {
    const response = await post('/v1/echo/a1', `{"state":${nested(10_000)}}`);
    expect(response.status).toBe(400);
    const { error } = (await response.json()) as ErrorBody;
    expect(error.code).toBe('invalid_request');
    expect(error.message).toMatch(/nested deeper than 64/);
  });

  it('still answers 413 for a body over the limit', async () => {
    const small = createApp({ apiKeys: new Map(), maxBodyBytes: 100, readiness: {}, routes: [{ path: '/v1', app: probe }] });
    const response = await small.request('/v1/echo/a1', { method: 'POST', headers: { 'content-type': 'application/json' }, body: `{"a":"${'x'.repeat(500)}"}` });
    expect(response.status).toBe(413);
  });
});
