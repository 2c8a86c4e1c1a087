// How Baton signs what it sends to URLs a tenant configured (http agents, webhooks), and how a
// receiver checks it. Only node:crypto: it ships in the SDK package, whose files import nothing outside it.
import { createHmac, timingSafeEqual } from 'node:crypto';

export const signatureHeader = 'X-Baton-Signature';
export const timestampHeader = 'X-Baton-Timestamp';
/** How far a signed timestamp may be from the receiver's clock by default (replay protection). */
export const defaultSignatureToleranceSeconds = 300;

/** `sha256=<hex>` of HMAC-SHA256(secret, `<timestamp>.<body>`), the value of X-Baton-Signature. */
export function signBatonRequest(secret: string, timestamp: string, body: string): string {
  return `sha256=${createHmac('sha256', secret).update(`${timestamp}.${body}`).digest('hex')}`;
}

/**
 * For receivers: true when `header` (X-Baton-Signature) signs `body` (the raw request body, before
 * JSON parsing) at `timestamp` (X-Baton-Timestamp, Unix seconds) with `secret`, and the timestamp
 * is within `toleranceSeconds` of now (replay protection).
 *
 * @example
 *   const ok = verifyBatonSignature(process.env.AGENT_SECRET!, req.headers['x-baton-timestamp'],
 *     rawBody, req.headers['x-baton-signature']);
 */
export function verifyBatonSignature(
  secret: string,
  timestamp: string | null | undefined,
  body: string,
  header: string | null | undefined,
  options: { toleranceSeconds?: number; nowMs?: number } = {},
): boolean {
  if (!timestamp || !header || !/^\d{1,12}$/.test(timestamp)) return false;
  const ageSeconds = Math.abs((options.nowMs ?? Date.now()) / 1000 - Number(timestamp));
  if (ageSeconds > (options.toleranceSeconds ?? defaultSignatureToleranceSeconds)) return false;
  const expected = Buffer.from(signBatonRequest(secret, timestamp, body));
  const given = Buffer.from(header);
  return given.length === expected.length && timingSafeEqual(given, expected);
}
