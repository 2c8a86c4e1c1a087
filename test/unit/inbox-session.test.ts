import { describe, expect, it } from 'vitest';
import { createInboxAuth, defaultSessionTtlMs, type InboxIdentity } from '../../api/inbox/inbox-session.ts';

const keys = new Map<string, InboxIdentity>([
  ['key-alpha', { project: 'alpha', label: 'ops' }],
  ['key-beta', { project: 'beta', label: null }],
]);
const now = Date.parse('2030-01-01T00:00:00Z');

describe('inbox sessions', () => {
  it('names the key\'s project and label, and knows no other key', () => {
    const auth = createInboxAuth(keys);
    expect(auth.required).toBe(true);
    expect(auth.identify('key-alpha')).toEqual({ project: 'alpha', label: 'ops' });
    expect(auth.identify('key-alph')).toBeUndefined();
    expect(auth.identify('')).toBeUndefined();
    expect(createInboxAuth(new Map()).required).toBe(false);
  });

  it('verifies its own token until it expires (12 h by default)', () => {
    const auth = createInboxAuth(keys);
    const { token, session } = auth.issue({ project: 'alpha', label: 'ops' }, now);
    expect(session.expiresAt).toBe(now + defaultSessionTtlMs);
    expect(auth.verify(token, now + 1000)).toEqual(session);
    expect(auth.verify(token, now + defaultSessionTtlMs)).toBeNull();
  });

  it('is accepted by another process with the same keys, in any order, and by none with other keys', () => {
    const { token } = createInboxAuth(keys).issue({ project: 'alpha', label: 'ops' }, now);
    expect(createInboxAuth(new Map([...keys].reverse())).verify(token, now)?.project).toBe('alpha');
    expect(createInboxAuth(new Map([['key-alpha', { project: 'alpha', label: 'ops' }]])).verify(token, now)).toBeNull();
    expect(createInboxAuth(new Map([...keys, ['key-gamma', { project: 'gamma', label: null }]])).verify(token, now)).toBeNull();
  });

  it('refuses a token whose claims were changed, or that is malformed', () => {
    const auth = createInboxAuth(keys);
    const { token } = auth.issue({ project: 'alpha', label: 'ops' }, now);
    const [version, , signature] = token.split('.');
    const forged = Buffer.from(JSON.stringify({ p: 'beta', l: null, n: 'x', e: now + 1e9 })).toString('base64url');
    expect(auth.verify(`${version}.${forged}.${signature}`, now)).toBeNull();
    for (const bad of [undefined, '', 'v1', 'v1..', `${token}.x`, token.slice(0, -2), `v2${token.slice(2)}`, 'x'.repeat(5000)]) expect(auth.verify(bad, now)).toBeNull();
  });

  it('derives a CSRF token per sign-in', () => {
    const auth = createInboxAuth(keys);
    const first = auth.issue({ project: 'alpha', label: 'ops' }, now).session;
    const second = auth.issue({ project: 'alpha', label: 'ops' }, now).session;
    expect(auth.csrfToken(first)).toBe(auth.csrfToken({ ...first }));
    expect(auth.csrfToken(first)).not.toBe(auth.csrfToken(second));
    expect(createInboxAuth(new Map([['other', { project: 'alpha', label: 'ops' }]])).csrfToken(first)).not.toBe(auth.csrfToken(first));
  });
});
