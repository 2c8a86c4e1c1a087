import type { Context, MiddlewareHandler } from 'hono';
import { bodyLimit } from 'hono/body-limit';

/**
 * Whether the request can carry a body at all. Asked instead of `c.req.raw.body`: on
 * @hono/node-server that property makes a whole fetch Request around the socket (a web stream over
 * the IncomingMessage) on every request, where `c.req.text()` and `c.req.json()` otherwise read the
 * socket directly; that Request was a sizeable share of the API's CPU per call.
 */
export function mayHaveBody(c: Context): boolean {
  // The methods whose Request @hono/node-server makes without a body (TRACE goes out as a GET).
  const method = c.req.method;
  return method !== 'GET' && method !== 'HEAD' && method !== 'TRACE';
}

/**
 * Hono's bodyLimit, without touching the body when its size is declared: a Content-Length (and no
 * Transfer-Encoding) is judged by its value, as Hono's middleware judges it; a body without one
 * (chunked) goes through Hono's middleware, which counts what it reads.
 */
export function declaredBodyLimit(options: { maxSize: number; onError: (c: Context) => Response | Promise<Response> }): MiddlewareHandler {
  const counting = bodyLimit(options);
  return async (c, next) => {
    if (!mayHaveBody(c)) return await next();
    const length = c.req.header('content-length');
    if (length === undefined || c.req.header('transfer-encoding') !== undefined) return await counting(c, next);
    if (Number.parseInt(length || '0', 10) > options.maxSize) return await options.onError(c);
    return await next();
  };
}
