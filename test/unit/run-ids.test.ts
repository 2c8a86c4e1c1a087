import { describe, expect, it } from 'vitest';
import { runIdSchema, sessionIdSchema } from '../../src/domain/ids.ts';
import { idempotentRunId, idempotentSessionId, newRunId, newSessionId } from '../../src/temporal/run-ids.ts';

describe('run ids', () => {
  it('makes new run and session ids that are unique and valid', () => {
    const ids = new Set(Array.from({ length: 100 }, () => newRunId()));
    expect(ids.size).toBe(100);
    for (const id of ids) expect(runIdSchema.safeParse(id).success).toBe(true);
    expect(newSessionId()).toMatch(/^ses_[0-9A-Z]{26}$/);
    expect(sessionIdSchema.safeParse(newSessionId()).success).toBe(true);
  });

  it('derives the same run id for the same project and key, a different one otherwise', () => {
    const id = idempotentRunId('acme', 'order-42');
    expect(id).toMatch(/^wfr_[0-9A-HJKMNP-TV-Z]{26}$/);
    expect(runIdSchema.safeParse(id).success).toBe(true);
    expect(idempotentRunId('acme', 'order-42')).toBe(id);
    expect(idempotentRunId('acme', 'order-43')).not.toBe(id);
    expect(idempotentRunId('other', 'order-42')).not.toBe(id);
    // The separator keeps ("ab","c") and ("a","bc") apart.
    expect(idempotentRunId('ab', 'c')).not.toBe(idempotentRunId('a', 'bc'));
    expect(idempotentSessionId('acme', 'order-42')).toMatch(/^ses_[0-9A-Z]{26}$/);
    expect(idempotentSessionId('acme', 'order-42').slice(4)).not.toBe(id.slice(4));
  });
});
