import { decodeTime } from 'ulid';
import { describe, expect, it } from 'vitest';
import { newUlid } from '../../src/domain/new-ulid.ts';
import { runIdSchema, sessionIdSchema } from '../../src/domain/ids.ts';
import { idempotentResumeIds, idempotentRunId, idempotentSessionId, newRunId, newSessionId } from '../../src/temporal/run-ids.ts';

describe('run ids', () => {
  it('makes new run and session ids that are unique and valid', () => {
    const ids = new Set(Array.from({ length: 100 }, () => newRunId()));
    expect(ids.size).toBe(100);
    for (const id of ids) expect(runIdSchema.safeParse(id).success).toBe(true);
    expect(newSessionId()).toMatch(/^ses_[0-9A-Z]{26}$/);
    expect(sessionIdSchema.safeParse(newSessionId()).success).toBe(true);
  });

  it('makes ULIDs of the current time whose random part uses every character, across refills of its pool', () => {
    const before = Date.now();
    // 3,000 ids draw 48,000 random bytes: the 4 KB pool is refilled a dozen times.
    const ids = Array.from({ length: 3000 }, () => newUlid());
    expect(new Set(ids).size).toBe(ids.length);
    for (const id of ids) expect(id).toMatch(/^[0-9A-HJKMNP-TV-Z]{26}$/);
    expect(decodeTime(ids[0]!)).toBeGreaterThanOrEqual(before);
    expect(decodeTime(ids.at(-1)!)).toBeLessThanOrEqual(Date.now());
    const counts = new Map<string, number>();
    for (const id of ids) for (const char of id.slice(10)) counts.set(char, (counts.get(char) ?? 0) + 1);
    // 48,000 draws over 32 characters: 1,500 each on average; a skewed source would leave some far off.
    expect(counts.size).toBe(32);
    for (const count of counts.values()) expect(count).toBeGreaterThan(1200);
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

  it('derives resume Update ids from project, run, key and answer, whatever order the answer\'s keys came in', () => {
    const ids = idempotentResumeIds('acme', 'wfr_1', 'key-1', { decision: 'approve', note: 'ok' });
    expect(ids.resume).toMatch(/^resume-[0-9A-Z]{26}$/);
    expect(ids.settled).toBe(`settled-${ids.resume.slice('resume-'.length)}`);
    // The one-Update resume-and-wait has an id of its own: a keyed resend after a two-Update answer is not mistaken for it.
    expect(ids.resumeAndSettle).toBe(`resume-settle-${ids.resume.slice('resume-'.length)}`);
    expect(idempotentResumeIds('acme', 'wfr_1', 'key-1', { note: 'ok', decision: 'approve' })).toStrictEqual(ids);
    for (const other of [
      idempotentResumeIds('acme', 'wfr_1', 'key-1', { decision: 'reject', note: 'ok' }),
      idempotentResumeIds('acme', 'wfr_1', 'key-2', { decision: 'approve', note: 'ok' }),
      idempotentResumeIds('acme', 'wfr_2', 'key-1', { decision: 'approve', note: 'ok' }),
      idempotentResumeIds('other', 'wfr_1', 'key-1', { decision: 'approve', note: 'ok' }),
    ]) expect(other.resume).not.toBe(ids.resume);
    expect(idempotentResumeIds('acme', 'wfr_1', 'k', 'approve').resume).not.toBe(idempotentResumeIds('acme', 'wfr_1', 'k', ['approve']).resume);
  });
});
