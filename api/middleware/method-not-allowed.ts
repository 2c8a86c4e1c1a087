import type { Hono } from 'hono';
import type { AppEnv } from '../env.ts';

/**
 * The methods `app` answers on `path` (HEAD wherever GET is, as Hono serves it), or none when no
 * route has this path: a request that reaches notFound with some is a 405, not a 404.
 */
export function allowedMethods(app: Hono<AppEnv>, path: string): string[] {
  const methods = new Set<string>();
  for (const route of app.routes) {
    // Middleware is registered under ALL; it says nothing about which methods a path serves.
    if (route.method === 'ALL' || !routePattern(route.path).test(path)) continue;
    methods.add(route.method);
    if (route.method === 'GET') methods.add('HEAD');
  }
  return [...methods].sort();
}

const patterns = new Map<string, RegExp>();

// Hono paths here are literal segments and `:name` parameters (one segment each).
function routePattern(routePath: string): RegExp {
  let pattern = patterns.get(routePath);
  if (!pattern) {
    const segments = routePath.split('/').map((segment) =>
      segment.startsWith(':') ? '[^/]+' : segment === '*' ? '.*' : segment.replace(/[.*+?^${}()|[\]\\]/g, '\\$&'));
    pattern = new RegExp(`^${segments.join('/')}$`);
    patterns.set(routePath, pattern);
  }
  return pattern;
}
