import { randomUUID } from 'node:crypto';
import type { MiddlewareHandler } from 'hono';
import { matchedRoutes } from 'hono/route';
import type { Logger } from '../../src/observability/logger.ts';
import type { ApiMetrics } from '../../src/observability/metrics.ts';
import type { AppEnv } from '../env.ts';

export const requestIdHeader = 'X-Request-Id';

// A caller's id is kept when it is a plain token (a UUID, a trace id, a load balancer's id); anything else could forge log lines.
const acceptableRequestId = /^[A-Za-z0-9._:@/+=-]{1,128}$/;
// Probes and scrapes arrive every few seconds: their lines are debug unless they fail.
const quietPaths = new Set(['/healthz', '/readyz', '/metrics']);

/**
 * First middleware of the app: gives the request an id (X-Request-Id, honoured or made) that the
 * response carries, a child logger with it (`c.var.log`), one log line when the response is ready,
 * and the request in the HTTP metrics. It reads no header or body beyond the id: nothing secret can reach the line.
 */
export function requestLog(logger: Logger, metrics?: ApiMetrics): MiddlewareHandler<AppEnv> {
  return async (c, next) => {
    const began = performance.now();
    const offered = c.req.header(requestIdHeader);
    const requestId = offered && acceptableRequestId.test(offered) ? offered : randomUUID();
    c.set('requestId', requestId);
    c.set('log', lazyChild(logger, { reqId: requestId }));
    c.header(requestIdHeader, requestId);
    await next();
    const status = c.res.status;
    const seconds = (performance.now() - began) / 1000;
    const route = routeOf(c);
    metrics?.request(c.req.method, route, status, seconds);
    const level = status >= 500 ? 'error' : quietPaths.has(c.req.path) && status < 400 ? 'debug' : 'info';
    if (!logger.isLevelEnabled(level)) return;
    const durationMs = Math.round(seconds * 10_000) / 10;
    // The same line a child with the id would write (bindings come first), without making one.
    logger[level]({ reqId: requestId, method: c.req.method, path: c.req.path, route, status, durationMs }, `${c.req.method} ${c.req.path} ${status} ${durationMs} ms`);
  };
}

/**
 * `logger.child(bindings)`, made when a line is first written through it: most requests write
 * only their access line, and a pino child costs a bindings serialization per request.
 */
function lazyChild(logger: Logger, bindings: Record<string, string>): Logger {
  let child: Logger | undefined;
  return new Proxy({} as Logger, {
    get(_target, key) {
      child ??= logger.child(bindings);
      const value: unknown = Reflect.get(child, key, child);
      return typeof value === 'function' ? (value as (...args: unknown[]) => unknown).bind(child) : value;
    },
  });
}

/**
 * The route pattern that serves the request (`/v1/runs/:runId`): the last matched handler that is not
 * middleware (`app.use` registers those for method ALL). A path no route serves is `unmatched`, so scanners cannot grow the metric's label set.
 */
function routeOf(c: Parameters<MiddlewareHandler<AppEnv>>[0]): string {
  const routes = matchedRoutes(c);
  for (let index = routes.length - 1; index >= 0; index -= 1) {
    const route = routes[index]!;
    if (route.method !== 'ALL') return route.path;
  }
  return 'unmatched';
}
