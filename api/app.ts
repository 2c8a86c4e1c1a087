import type { OpenAPIHono } from '@hono/zod-openapi';
import { BatonError } from '../src/domain/errors.ts';
import { type Logger, silentLogger } from '../src/observability/logger.ts';
import type { ApiMetrics } from '../src/observability/metrics.ts';
import { docsRoutes } from './docs.ts';
import type { AppEnv } from './env.ts';
import { healthRoutes, type ReadinessChecks } from './health.ts';
import { apiKeyAuth } from './middleware/auth.ts';
import { declaredBodyLimit } from './middleware/body-limit.ts';
import { allowedMethods } from './middleware/method-not-allowed.ts';
import { errorBody, handleError } from './middleware/error-handler.ts';
import { jsonGuard } from './middleware/json-guard.ts';
import { requestLog } from './middleware/request-log.ts';
import { metricsRoutes } from './metrics-route.ts';
import { createRouter } from './router.ts';
import type { createInboxRoutes } from './inbox/inbox-routes.ts';

/** A resource sub-app (made with createRouter()) and where it is mounted, e.g. `/v1` or `/api/v1`. */
export interface MountedRoutes {
  path: `/v1${string}` | `/api/v1${string}`;
  app: OpenAPIHono<AppEnv>;
  /** Registers what belongs at the document's root rather than under `path` (the requests Baton sends: `webhooks`). */
  document?: (registry: OpenAPIHono<AppEnv>['openAPIRegistry']) => void;
}

export interface AppDeps {
  /** API key → project; empty means no auth and every caller is project `default`. */
  apiKeys: ReadonlyMap<string, string>;
  /** API key → its label (BATON_API_KEYS `key:project:label`); keys without one answer as label null. */
  apiKeyLabels?: ReadonlyMap<string, string>;
  maxBodyBytes: number;
  readiness: ReadinessChecks;
  /** Mounted in order after auth and the body limit, so every one is protected and documented. */
  routes?: MountedRoutes[];
  /** The operators' inbox (HTML, its own sign-in), mounted at /inbox; not in the OpenAPI document. */
  inbox?: ReturnType<typeof createInboxRoutes>;
  version?: string;
  /** One line per request, with its id; default: no lines. */
  logger?: Logger;
  /** HTTP metrics, and GET /metrics to read them with the rest of the process's metrics. */
  metrics?: ApiMetrics;
  /** BATON_METRICS_TOKEN: when set, GET /metrics needs it as a bearer token. */
  metricsToken?: string;
}

/** The HTTP app: health, docs and OpenAPI, then the authenticated `/v1` and `/api/v1` resources, and the inbox. */
export function createApp(deps: AppDeps): OpenAPIHono<AppEnv> {
  const app = createRouter();
  app.onError(handleError);
  app.notFound((c) => {
    const allow = allowedMethods(app, c.req.path);
    // A route that serves this method and still said notFound (an unknown asset) means 404.
    if (allow.length === 0 || allow.includes(c.req.method)) return c.json(errorBody('not_found', `No route for ${c.req.method} ${c.req.path}.`), 404);
    c.header('Allow', allow.join(', '));
    return c.json(errorBody('method_not_allowed', `${c.req.method} is not allowed on ${c.req.path}; use ${allow.join(', ')}.`), 405);
  });

  // First: every answer, whatever refuses the request later, gets its id, its log line and its metric.
  app.use('*', requestLog(deps.logger ?? silentLogger(), deps.metrics));
  app.use('*', declaredBodyLimit({
    maxSize: deps.maxBodyBytes,
    onError: () => { throw new BatonError('payload_too_large', `The request body is larger than ${deps.maxBodyBytes} bytes.`); },
  }));
  // Registered before any resource route: Hono runs handlers in registration order.
  const auth = apiKeyAuth(deps.apiKeys, deps.apiKeyLabels);
  for (const prefix of ['/v1', '/api/v1']) {
    app.use(prefix, auth);
    app.use(`${prefix}/*`, auth);
  }
  // After auth (a stranger learns nothing) and inside the body limit (the scan reads the capped body).
  app.use('*', jsonGuard());

  app.route('/', healthRoutes(deps.readiness));
  app.route('/', docsRoutes('/openapi.json'));
  // Not in the OpenAPI document: an operator's endpoint in Prometheus' format, like the inbox is a person's.
  if (deps.metrics) app.route('/', metricsRoutes(deps.metrics, deps.metricsToken));

  for (const mounted of deps.routes ?? []) {
    app.route(mounted.path, mounted.app);
    mounted.document?.(app.openAPIRegistry);
  }
  if (deps.inbox) app.route('/inbox', deps.inbox);

  app.openAPIRegistry.registerComponent('securitySchemes', 'apiKey', {
    type: 'http',
    scheme: 'bearer',
    description:
      'An API key from BATON_API_KEYS, sent as `Authorization: Bearer <key>`; the key names the caller\'s project. ' +
      'When no key is configured the API accepts any bearer or none, and every caller is project `default`.',
  });
  app.doc31('/openapi.json', {
    openapi: '3.1.0',
    info: {
      title: 'Baton',
      version: deps.version ?? '0.1.0',
      description: 'Durable multi-step agent workflows that pause for a human and resume later.',
    },
    // Relative: resolved against wherever this document was fetched from, so it stays right behind a
    // proxy or on another port, and client generators and fuzzers reach this same Baton.
    servers: [{ url: '/', description: 'This Baton (the origin that served this document)' }],
    // The same document whether or not keys are configured: every /v1 and /api/v1 operation takes the
    // key; the health probes opt out with their own empty `security`.
    security: [{ apiKey: [] }],
  });
  return app;
}
