import { describe, expect, it } from 'vitest';
import { TypedSearchAttributes } from '@temporalio/common';
import { decodeCursor, encodeCursor, quote, runListQuery, toRunSummary } from '../../src/temporal/run-visibility.ts';
import { projectKey, statusKey } from '../../src/workflows/search-attribute-keys.ts';

describe('run list cursors', () => {
  it('gives back the page token it wrapped, and null for none', () => {
    const token = new TextEncoder().encode('{"CloseTime":"2026-12-02T00:00:00Z","RunID":"abc"}');
    const cursor = encodeCursor(token)!;
    expect(cursor).toMatch(/^[A-Za-z0-9_-]+$/);
    expect(Buffer.from(decodeCursor(cursor)!).toString()).toBe(Buffer.from(token).toString());
    expect(encodeCursor(new Uint8Array())).toBeNull();
    expect(encodeCursor(null)).toBeNull();
    expect(decodeCursor(undefined)).toBeUndefined();
  });

  it.each(['AAAA', '!!', 'a b', `${encodeCursor(new TextEncoder().encode('token'))!.slice(0, -2)}AA`, Buffer.from('x').toString('base64url')])(
    'refuses %j as invalid_request instead of sending it to Temporal',
    (cursor) => {
      expect(() => decodeCursor(cursor)).toThrowError(expect.objectContaining({ code: 'invalid_request' }) as Error);
    },
  );
});

describe('run list query', () => {
  it('escapes quotes and backslashes and refuses NUL', () => {
    expect(quote("it's \\ here")).toBe("'it\\'s \\\\ here'");
    expect(() => runListQuery('acme', { agent: 'a\u0000' })).toThrowError(expect.objectContaining({ code: 'invalid_request' }) as Error);
  });

  it('shows a terminated run as cancelled: it was ended from outside, not by its own failure', () => {
    const row = (status: string) => toRunSummary({
      workflowId: 'wfr_1', status: { name: status, code: 0 } as never, startTime: new Date(0), closeTime: new Date(1),
      typedSearchAttributes: new TypedSearchAttributes([{ key: projectKey, value: 'acme' }, { key: statusKey, value: 'running' }]),
    });
    expect(row('TERMINATED').status).toBe('cancelled');
    expect(row('TIMED_OUT').status).toBe('failed');
    expect(row('RUNNING').status).toBe('running');
  });
});
