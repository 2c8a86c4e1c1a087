import { defaultSignatureToleranceSeconds, verifyBatonSignature } from './request-signature.ts';

/** Request headers as a receiver has them: a fetch `Headers`, or Node's `req.headers` (lower-case keys). */
export type ReceivedHeaders = Headers | Record<string, string | string[] | undefined>;

function header(headers: ReceivedHeaders, name: string): string | undefined {
  if (typeof (headers as Headers).get === 'function') return (headers as Headers).get(name) ?? undefined;
  const record = headers as Record<string, string | string[] | undefined>;
  const key = Object.keys(record).find((candidate) => candidate.toLowerCase() === name);
  const value = key === undefined ? undefined : record[key];
  return Array.isArray(value) ? value[0] : value;
}

/**
 * For webhook receivers: true when the request is a genuine Baton event for the webhook whose
 * `secret` you were given at creation — X-Baton-Signature is the HMAC-SHA256 of
 * `<X-Baton-Timestamp>.<body>` with that secret, and the timestamp is within `toleranceSeconds`
 * (default 300) of now. Pass the raw body, before any JSON parsing.
 *
 * @example
 * import { verifyWebhookSignature } from '@baton/sdk'
 *
 * app.post('/baton', express.text({ type: 'application/json' }), (req, res) => {
 *   if (!verifyWebhookSignature(process.env.BATON_WEBHOOK_SECRET!, req.headers, req.body)) return res.sendStatus(401)
 *   const event = JSON.parse(req.body) // { id, type, createdAt, run }
 *   res.sendStatus(204)
 * })
 */
export function verifyWebhookSignature(
  secret: string,
  headers: ReceivedHeaders,
  body: string,
  options: { toleranceSeconds?: number; nowMs?: number } = {},
): boolean {
  return verifyBatonSignature(secret, header(headers, 'x-baton-timestamp'), body, header(headers, 'x-baton-signature'), {
    toleranceSeconds: options.toleranceSeconds ?? defaultSignatureToleranceSeconds,
    ...(options.nowMs === undefined ? {} : { nowMs: options.nowMs }),
  });
}
