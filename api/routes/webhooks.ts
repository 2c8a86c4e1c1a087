import { createRoute, z } from '@hono/zod-openapi';
import type { MountedRoutes } from '../app.ts';
import { pageQuerySchema, springPageSchema } from '../../src/domain/definition-input.ts';
import { BatonError } from '../../src/domain/errors.ts';
import {
  webhookCreatedSchema,
  webhookCreateSchema,
  webhookDeliverySchema,
  webhookEventSchema,
  webhookPatchSchema,
  webhookSchema,
} from '../../src/domain/webhook.ts';
import { egressRefusal, type EgressPolicy } from '../../src/security/egress-policy.ts';
import type { Store } from '../../src/store/open-store.ts';
import { createRouter } from '../router.ts';
import { commonErrors, jsonBody, jsonResponse, noContent, pathIdSchema } from './agent-manager-schemas.ts';
import { bodyErrors, errorResponse, notFound } from './openapi-errors.ts';
import { links } from './openapi-links.ts';

export interface WebhookRoutesDeps {
  store: Pick<Store, 'webhooks'>;
  /** The policy deliveries go through: a URL it refuses is refused here, before it is stored. */
  egress: Pick<EgressPolicy, 'check'>;
  /** How long the URL's host may take to resolve (default 5 s). */
  resolveTimeoutMs?: number;
}

const tags = ['Agent Manager: webhooks'];
const idParam = z.object({ id: pathIdSchema });
const webhookId = { id: '$response.body#/id' };
const webhookLinks = links({
  GetWebhook: ['getWebhook', webhookId],
  UpdateWebhook: ['updateWebhook', webhookId],
  DeleteWebhook: ['deleteWebhook', webhookId],
  ListDeliveries: ['listWebhookDeliveries', webhookId],
});
export const webhookPageSchema = springPageSchema(webhookSchema).meta({ id: 'WebhookPage' });
export const webhookDeliveryPageSchema = springPageSchema(webhookDeliverySchema).meta({ id: 'WebhookDeliveryPage' });

const egressRefused = {
  422: errorResponse('egress_refused: the URL\'s host is a private, loopback, link-local or reserved address the egress policy does not allow '
    + '(BATON_EGRESS_ALLOW lists the ones it does), carries a user name or password, or does not resolve'),
};

const deliveryDescription = 'When a run of this project pauses, completes, fails or is cancelled, Baton POSTs a `WebhookEvent` '
  + '(`{id, type, createdAt, run}`, where `run` is the v1 run body plus `workflowId`) to every webhook subscribed to that type. '
  + 'Headers: `X-Baton-Event-Id` (the same on every attempt of an event: deduplicate by it), `X-Baton-Event` (the type), '
  + '`X-Baton-Timestamp` (Unix seconds) and `X-Baton-Signature: sha256=<hex>`, the HMAC-SHA256 of `<timestamp>.<raw body>` keyed with the webhook\'s secret. '
  + 'Any 2xx answer delivers the event; anything else (another status, no answer within 10 s, a refused connection) is retried '
  + 'after 1 s, 2 s, 4 s, … up to 10 min apart, for 24 h after the event, then the delivery is `failed`. '
  + 'A run\'s events reach a webhook in order: the next is sent once the previous one is delivered or has failed. '
  + 'Redirects are not followed.';

const listRoute = createRoute({
  method: 'get', path: '/webhooks', tags, operationId: 'listWebhooks', summary: 'List the project\'s webhooks, oldest first',
  request: { query: pageQuerySchema },
  responses: { 200: jsonResponse(webhookPageSchema, 'A Spring-style page of webhooks (without secrets)'), ...commonErrors },
});
const createWebhookRoute = createRoute({
  method: 'post', path: '/webhooks', tags, operationId: 'createWebhook', summary: 'Create a webhook: run events POSTed to a URL, signed',
  description: `${deliveryDescription} The URL must be one the egress policy allows (public addresses, or those BATON_EGRESS_ALLOW lists); `
    + 'it is checked now (422) and again, with the address pinned, on every delivery. The answer is the only one that shows the secret.',
  request: { body: jsonBody(webhookCreateSchema) },
  responses: {
    201: { ...jsonResponse(webhookCreatedSchema, 'The created webhook with its signing secret'), links: webhookLinks },
    ...commonErrors, ...bodyErrors, ...egressRefused,
  },
});
const getRoute = createRoute({
  method: 'get', path: '/webhooks/{id}', tags, operationId: 'getWebhook', summary: 'Get a webhook (without its secret)',
  request: { params: idParam },
  responses: { 200: jsonResponse(webhookSchema, 'The webhook'), ...commonErrors, ...notFound('webhook_not_found') },
});
const patchRoute = createRoute({
  method: 'patch', path: '/webhooks/{id}', tags, operationId: 'updateWebhook', summary: 'Change a webhook\'s URL or events',
  description: 'Only the fields present change; the secret stays. Deliveries still pending go to the new URL. A new URL is checked against the egress policy (422).',
  request: { params: idParam, body: jsonBody(webhookPatchSchema) },
  responses: {
    200: { ...jsonResponse(webhookSchema, 'The updated webhook'), links: webhookLinks },
    ...commonErrors, ...bodyErrors, ...notFound('webhook_not_found'), ...egressRefused,
  },
});
const deleteRoute = createRoute({
  method: 'delete', path: '/webhooks/{id}', tags, operationId: 'deleteWebhook', summary: 'Delete a webhook; its pending deliveries are dropped',
  request: { params: idParam },
  responses: { ...noContent, ...commonErrors, ...notFound('webhook_not_found') },
});
const deliveriesRoute = createRoute({
  method: 'get', path: '/webhooks/{id}/deliveries', tags, operationId: 'listWebhookDeliveries', summary: 'Recent deliveries of a webhook, newest first',
  description: 'One entry per event sent (or to be sent) to this webhook, with its attempts and the last answer. Entries are kept 7 days after their event.',
  request: { params: idParam, query: pageQuerySchema },
  responses: { 200: jsonResponse(webhookDeliveryPageSchema, 'A Spring-style page of deliveries'), ...commonErrors, ...notFound('webhook_not_found') },
});

/** The Agent Manager API's webhook endpoints; the app mounts them under `/api/v1`. */
export function createWebhookRoutes(deps: WebhookRoutesDeps) {
  const { webhooks } = deps.store;
  const resolveTimeoutMs = deps.resolveTimeoutMs ?? 5_000;

  /** Refuses (422) a URL no delivery could reach, so the mistake shows now rather than in failed deliveries. */
  async function assertDeliverable(url: string): Promise<void> {
    const host = new URL(url).host;
    let timer: NodeJS.Timeout | undefined;
    const timedOut = new Promise<'timeout'>((resolve) => { timer = setTimeout(() => resolve('timeout'), resolveTimeoutMs); });
    try {
      if ((await Promise.race([deps.egress.check(url), timedOut])) === 'timeout') {
        throw new BatonError('egress_refused', `${host} did not resolve within ${resolveTimeoutMs} ms; check the URL.`, { host });
      }
    } catch (error) {
      if (error instanceof BatonError) throw error;
      const refusal = egressRefusal(error);
      if (refusal) throw new BatonError('egress_refused', `Baton may not send to this URL: ${refusal.message}.`, { host: refusal.host });
      // Anything else the check throws comes from resolving the name (ENOTFOUND, EAI_AGAIN).
      throw new BatonError('egress_refused', `${host} does not resolve (${(error as NodeJS.ErrnoException).code ?? (error as Error).message}); check the URL.`, { host });
    } finally {
      clearTimeout(timer);
    }
  }

  return createRouter()
    .openapi(listRoute, async (c) => {
      return c.json(await webhooks.list(c.get('project'), c.req.valid('query')), 200);
    })
    .openapi(createWebhookRoute, async (c) => {
      const input = c.req.valid('json');
      await assertDeliverable(input.url);
      return c.json(await webhooks.create(c.get('project'), input), 201);
    })
    .openapi(getRoute, async (c) => {
      return c.json(await webhooks.get(c.get('project'), c.req.valid('param').id), 200);
    })
    .openapi(patchRoute, async (c) => {
      const project = c.get('project');
      const { id } = c.req.valid('param');
      const patch = c.req.valid('json');
      // An unknown webhook answers 404 whatever its URL would have answered.
      const current = await webhooks.get(project, id);
      if (patch.url === undefined && patch.events === undefined) return c.json(current, 200);
      if (patch.url !== undefined) await assertDeliverable(patch.url);
      return c.json(await webhooks.update(project, id, patch), 200);
    })
    .openapi(deleteRoute, async (c) => {
      await webhooks.delete(c.get('project'), c.req.valid('param').id);
      return c.body(null, 204);
    })
    .openapi(deliveriesRoute, async (c) => {
      return c.json(await webhooks.deliveries(c.get('project'), c.req.valid('param').id, c.req.valid('query')), 200);
    });
}

/** What receivers get, for the OpenAPI document's `webhooks` (mount the routes with `document: documentWebhookEvents`). */
export const documentWebhookEvents: NonNullable<MountedRoutes['document']> = (registry) => {
  registry.registerWebhook({
    method: 'post', path: 'runEvent', tags, operationId: 'runEvent', summary: 'A run of the project paused, completed, failed or was cancelled, or a paused run was reminded',
    description: deliveryDescription,
    request: {
      headers: z.object({
        'X-Baton-Event-Id': z.string(),
        'X-Baton-Event': webhookEventSchema.shape.type,
        'X-Baton-Timestamp': z.string().meta({ description: 'Unix seconds of this attempt' }),
        'X-Baton-Signature': z.string().meta({ description: '`sha256=` + hex HMAC-SHA256 of `<timestamp>.<raw body>` keyed with the webhook\'s secret' }),
      }),
      body: jsonBody(webhookEventSchema),
    },
    responses: { 200: { description: 'Any 2xx status delivers the event; any other answer is retried' } },
  });
};
