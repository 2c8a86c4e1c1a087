import { timingSafeEqual } from 'node:crypto';
import { Hono } from 'hono';
import type { ApiMetrics } from '../src/observability/metrics.ts';
import type { AppEnv } from './env.ts';
import { errorBody } from './middleware/error-handler.ts';

/**
 * GET /metrics in Prometheus' text format. Open unless BATON_METRICS_TOKEN is set, then it needs
 * `Authorization: Bearer <token>`; it is not an API key's business (metrics carry no project's data).
 */
export function metricsRoutes(metrics: ApiMetrics, token?: string) {
  const app = new Hono<AppEnv>();
  app.get('/metrics', async (c) => {
    if (token !== undefined && !sameToken(bearerOf(c.req.header('authorization')), token)) {
      c.header('WWW-Authenticate', 'Bearer realm="metrics"');
      return c.json(errorBody('unauthorized', 'GET /metrics needs Authorization: Bearer <BATON_METRICS_TOKEN>.'), 401);
    }
    const body = await metrics.registry.metrics();
    return c.body(body, 200, { 'content-type': metrics.registry.contentType });
  });
  return app;
}

function bearerOf(header: string | undefined): string {
  const match = /^Bearer\s+(.+)$/i.exec(header ?? '');
  return match?.[1]?.trim() ?? '';
}

function sameToken(given: string, expected: string): boolean {
  const a = Buffer.from(given);
  const b = Buffer.from(expected);
  return a.length === b.length && timingSafeEqual(a, b);
}
