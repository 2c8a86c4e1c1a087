import { createHash } from 'node:crypto';
import { newUlid } from '../domain/new-ulid.ts';

// Crockford base32, as ULIDs spell it, so derived ids look like the random ones.
const crockford = '0123456789ABCDEFGHJKMNPQRSTVWXYZ';

/** A new public run id, which is also the Temporal workflow id. */
export function newRunId(): string {
  return `wfr_${newUlid()}`;
}

export function newSessionId(): string {
  return `ses_${newUlid()}`;
}

/**
 * The run id for an Idempotency-Key: the same project and key always give the same id (and the
 * start uses conflict policy USE_EXISTING), while two projects' equal keys never meet.
 */
export function idempotentRunId(project: string, key: string): string {
  return `wfr_${digest32('run', project, key)}`;
}

/** The session of an idempotent start without a sessionId, so a retried start reports the same one. */
export function idempotentSessionId(project: string, key: string): string {
  return `ses_${digest32('session', project, key)}`;
}

/**
 * The run and session ids of a fork with an Idempotency-Key: derived from the parent too, so the same
 * key forks each run once and never meets a start's key.
 */
export function idempotentForkIds(project: string, parentRunId: string, key: string): { runId: string; sessionId: string } {
  return { runId: `wfr_${digest32('fork-run', project, parentRunId, key)}`, sessionId: `ses_${digest32('fork-session', project, parentRunId, key)}` };
}

/**
 * The ids of the resume, settled and resumeAndSettle Updates for an Idempotency-Key. The answer is part of the
 * digest: the same key with another answer is a new resume (which the run judges), not a replay.
 */
export function idempotentResumeIds(project: string, runId: string, key: string, answer: unknown): { resume: string; settled: string; resumeAndSettle: string } {
  const digest = digest32('resume', project, runId, key, canonicalJson(answer));
  return { resume: `resume-${digest}`, settled: `settled-${digest}`, resumeAndSettle: `resume-settle-${digest}` };
}

/** JSON with object keys sorted, so equal answers give equal text whatever order a client sent. */
function canonicalJson(value: unknown): string {
  return JSON.stringify(value, (_key, inner: unknown) =>
    inner !== null && typeof inner === 'object' && !Array.isArray(inner)
      ? Object.fromEntries(Object.entries(inner).sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0)))
      : inner,
  ) ?? 'undefined';
}

/** 26 base32 characters (130 bits) of sha256 over the NUL-separated parts. */
function digest32(...parts: string[]): string {
  const bytes = createHash('sha256').update(parts.join('\u0000')).digest();
  let bits = 0;
  let value = 0;
  let out = '';
  for (const byte of bytes) {
    value = (value << 8) | byte;
    bits += 8;
    while (bits >= 5 && out.length < 26) {
      out += crockford[(value >>> (bits - 5)) & 31];
      bits -= 5;
    }
    value &= (1 << bits) - 1;
  }
  return out;
}
