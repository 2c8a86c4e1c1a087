import { describe, expect, it } from 'vitest';
import { TypedSearchAttributes } from '@temporalio/common';
import { decodeRunCursor, encodeRunCursor } from '../../src/store/runs.ts';
import { toRunSummary } from '../../src/temporal/run-visibility.ts';
import { projectKey, statusKey } from '../../src/workflows/search-attribute-keys.ts';

describe('run list cursors', () => {
  it('give back the position they were made from', () => {
    const position = { createdAt: '2026-12-02T04:15:01.123Z', runId: 'wfr_01M8TFQXP4AMXBV9CBQNCJZDKQ' };
    const cursor = encodeRunCursor(position);
    expect(cursor).toMatch(/^[A-Za-z0-9_-]+$/);
    expect(decodeRunCursor(cursor)).toEqual(position);
  });

  it.each(['AAAA', '!!', 'a b', Buffer.from('2026-12-02T04:15:01.123Z|').toString('base64url'), Buffer.from('yesterday|wfr_1').toString('base64url'), 'x'.repeat(401)])(
    'refuses %j as invalid_request',
    (cursor) => {
      expect(() => decodeRunCursor(cursor)).toThrowError(expect.objectContaining({ code: 'invalid_request' }) as Error);
    },
  );
});

describe('a visibility row', () => {
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
