// Who is looking at the inbox, and proof that a form was posted by the inbox itself.
//
// With API keys configured, an operator signs in once with a key; the inbox then keeps a signed
// session token in an HttpOnly cookie. The signing secret is derived from the configured keys, so
// every API process with the same BATON_API_KEYS accepts the others' sessions, and changing the
// keys (revoking one) ends every session. Without keys everyone is project `default`.
import { createHash, createHmac, randomBytes, timingSafeEqual } from 'node:crypto';

/** What an API key stands for: its project, and its label (null when the key has none). */
export interface InboxIdentity {
  project: string;
  label: string | null;
}

/** A signed-in operator (or, without keys, everyone). */
export interface InboxSession extends InboxIdentity {
  /** Random per sign-in: CSRF tokens are derived from it, so they die with the session. */
  nonce: string;
  /** Milliseconds since the epoch; null for the keyless default session, which never expires. */
  expiresAt: number | null;
}

export const sessionCookie = 'baton_inbox_session';
/** The double-submit CSRF cookie of forms posted without a session (keyless mode, and the sign-in form). */
export const csrfCookie = 'baton_inbox_csrf';
export const defaultSessionTtlMs = 12 * 60 * 60 * 1000;

const tokenVersion = 'v1';

export interface InboxAuth {
  /** False when no key is configured: no sign-in, everyone is project `default`. */
  readonly required: boolean;
  /** The identity behind an API key, compared in constant time; undefined for an unknown key. */
  identify(key: string): InboxIdentity | undefined;
  /** A new signed session token for `identity`, valid for the TTL from `now`. */
  issue(identity: InboxIdentity, now: number): { token: string; session: InboxSession };
  /** The session a token stands for, or null (forged, expired, from another key set, malformed). */
  verify(token: string | undefined, now: number): InboxSession | null;
  /** The CSRF token of forms shown to this session. */
  csrfToken(session: InboxSession): string;
}

export function createInboxAuth(keys: ReadonlyMap<string, InboxIdentity>, options: { ttlMs?: number } = {}): InboxAuth {
  const ttlMs = options.ttlMs ?? defaultSessionTtlMs;
  const entries = [...keys].map(([key, identity]) => ({ digest: sha256(key), identity }));
  const secret = deriveSecret(keys);
  const sign = (text: string) => createHmac('sha256', secret).update(text).digest('base64url');

  return {
    required: entries.length > 0,
    identify(key) {
      const presented = sha256(key);
      let found: InboxIdentity | undefined;
      // Every entry is compared, so timing says nothing about which key (or how many) matched.
      for (const entry of entries) if (timingSafeEqual(entry.digest, presented)) found ??= entry.identity;
      return found;
    },
    issue(identity, now) {
      const session: InboxSession = { project: identity.project, label: identity.label, nonce: randomBytes(16).toString('base64url'), expiresAt: now + ttlMs };
      const payload = Buffer.from(JSON.stringify({ p: session.project, l: session.label, n: session.nonce, e: session.expiresAt })).toString('base64url');
      return { token: `${tokenVersion}.${payload}.${sign(`${tokenVersion}.${payload}`)}`, session };
    },
    verify(token, now) {
      if (!token || token.length > 2048) return null;
      const [version, payload, signature, ...rest] = token.split('.');
      if (version !== tokenVersion || !payload || !signature || rest.length > 0) return null;
      if (!equalText(signature, sign(`${version}.${payload}`))) return null;
      let claims: unknown;
      try {
        claims = JSON.parse(Buffer.from(payload, 'base64url').toString('utf8'));
      } catch {
        return null;
      }
      if (!isClaims(claims) || claims.e <= now) return null;
      // Signed with this key set's secret, so its project is one a configured key names.
      return { project: claims.p, label: claims.l, nonce: claims.n, expiresAt: claims.e };
    },
    csrfToken(session) {
      return sign(`csrf.${session.project}.${session.nonce}`);
    },
  };
}

/** Whether `presented` is `expected`, in time that does not depend on where they differ. */
export function equalText(presented: string, expected: string): boolean {
  return timingSafeEqual(sha256(presented), sha256(expected));
}

/** A fresh random value for the double-submit CSRF cookie. */
export function newCsrfCookieValue(): string {
  return randomBytes(24).toString('base64url');
}

/**
 * The same secret in every process with the same keys, and one no one can compute without knowing
 * all of them. Keys are sorted so their order in BATON_API_KEYS does not matter.
 */
function deriveSecret(keys: ReadonlyMap<string, InboxIdentity>): Buffer {
  const material = [...keys].map(([key, identity]) => JSON.stringify([key, identity.project, identity.label])).sort().join('\n');
  return createHmac('sha256', 'baton inbox session secret v1').update(material).digest();
}

function sha256(text: string): Buffer {
  return createHash('sha256').update(text).digest();
}

function isClaims(value: unknown): value is { p: string; l: string | null; n: string; e: number } {
  if (typeof value !== 'object' || value === null) return false;
  const claims = value as Record<string, unknown>;
  return typeof claims.p === 'string' && (claims.l === null || typeof claims.l === 'string') && typeof claims.n === 'string' && typeof claims.e === 'number';
}
