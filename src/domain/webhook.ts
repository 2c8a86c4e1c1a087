import { z } from 'zod';
import type { RunSnapshot, RunStatus } from './run.ts';
import { v1RunSchema } from './v1-api.ts';

// Webhooks: a project's URLs that Baton POSTs run events to (a run paused or ended), signed with
// the webhook's own secret. Callers send webhookCreate / webhookPatch; the store assigns the rest.

export const webhookEventTypeSchema = z.enum(['run.paused', 'run.completed', 'run.failed', 'run.cancelled', 'run.reminder', 'run.answered']).meta({
  id: 'WebhookEventType',
  description: 'run.paused, run.completed, run.failed, run.cancelled: the run reached that status. run.reminder: a paused run is still waiting for its answer (its step\'s remindAfter / remindEvery). '
    + 'run.answered: an answer was recorded that did not yet resume the run',
});
export type WebhookEventType = z.infer<typeof webhookEventTypeSchema>;
export const webhookEventTypes: readonly WebhookEventType[] = webhookEventTypeSchema.options;

/**
 * An event a run's read-model write announces instead of its status's: the run is still paused,
 * and something happened that receivers want to hear of (RunRecorder.record's notice).
 */
export type RunNotice = Extract<WebhookEventType, 'run.reminder' | 'run.answered'>;

/** The event a run in `status` announces, or undefined for `running` (nothing to announce). */
export function eventTypeOfStatus(status: RunStatus): WebhookEventType | undefined {
  return status === 'running' ? undefined : `run.${status}`;
}

/**
 * The event a recorded snapshot announces: the notice it was recorded with, else what the snapshot
 * says. Whoever writes a version first (the workflow, or the API reading the run back) announces
 * the same event with the same id: a paused snapshot stamped by a reminder is `run.reminder`, one
 * stamped by a partial quorum answer is `run.answered`, any other `run.<status>`.
 */
export function eventTypeOf(snapshot: Pick<RunSnapshot, 'status' | 'pendingAction' | 'updatedAt'>, notice?: RunNotice): WebhookEventType | undefined {
  if (notice) return notice;
  const pending = snapshot.status === 'paused' ? snapshot.pendingAction : null;
  // An answer and a reminder at the same instant (one activation): the answer is the news.
  const quorum = pending?.type === 'confirmation' ? pending.quorum : undefined;
  if (quorum && quorum.answers.at(-1)?.at === snapshot.updatedAt) return 'run.answered';
  if (pending?.remindedAt !== undefined && pending.remindedAt === snapshot.updatedAt) return 'run.reminder';
  return eventTypeOfStatus(snapshot.status);
}

export const webhookIdSchema = z.string().regex(/^whk_[0-9A-Za-z]{1,100}$/, 'a webhook id such as "whk_01J…"');

// The scheme is checked here (400); where the URL may point is the egress policy's call (422).
const webhookUrlSchema = z.url({ protocol: /^https?$/, error: 'an http or https URL' }).max(2048)
  .meta({ format: 'uri', pattern: '^[Hh][Tt][Tt][Pp][Ss]?://', description: 'Where Baton POSTs the events: http or https, allowed by the egress policy (BATON_EGRESS_ALLOW for private addresses)', examples: ['https://hooks.example.com/baton'] });

// Duplicates are dropped rather than refused: a list of event types is a set.
const eventListSchema = z.array(webhookEventTypeSchema).min(1).max(20);

export const webhookCreateSchema = z.strictObject({
  url: webhookUrlSchema,
  /** Omitted means every event type. */
  events: eventListSchema.optional().meta({ description: 'The event types to receive; omitted means all of them' }),
}).meta({ id: 'WebhookCreate' });
export type WebhookCreate = z.infer<typeof webhookCreateSchema>;

export const webhookPatchSchema = z.strictObject({
  url: webhookUrlSchema.optional(),
  events: eventListSchema.optional(),
}).meta({ id: 'WebhookPatch' });
export type WebhookPatch = z.infer<typeof webhookPatchSchema>;

export const webhookSchema = z.object({
  id: z.string().meta({ examples: ['whk_01JZ8W4T7Q1E5R3Y6U9I0O2P4A'] }),
  url: z.string(),
  events: z.array(webhookEventTypeSchema),
  createdAt: z.iso.datetime(),
  updatedAt: z.iso.datetime(),
}).meta({ id: 'Webhook' });
export type Webhook = z.infer<typeof webhookSchema>;

/** The answer to a create: the only time the signing secret is shown. */
export const webhookCreatedSchema = webhookSchema.extend({
  secret: z.string().meta({ description: 'The HMAC-SHA256 key of X-Baton-Signature. Shown only in this answer: store it now' }),
}).meta({ id: 'WebhookCreated' });
export type WebhookCreated = z.infer<typeof webhookCreatedSchema>;

export const deliveryStatusSchema = z.enum(['pending', 'delivered', 'failed']);
export type DeliveryStatus = z.infer<typeof deliveryStatusSchema>;

export const webhookDeliverySchema = z.object({
  eventId: z.string(),
  type: webhookEventTypeSchema,
  runId: z.string(),
  status: deliveryStatusSchema.meta({ description: 'pending (not yet sent, or retrying), delivered (a 2xx answer), failed (no 2xx within the retry period)' }),
  attempts: z.number().int().min(0),
  /** The HTTP status of the last attempt; null before the first, or when it got no answer. */
  lastResponseStatus: z.number().int().nullable(),
  /** Why the last attempt failed (a timeout, a refused connection, the start of a non-2xx body); null after a success. */
  lastError: z.string().nullable(),
  createdAt: z.iso.datetime(),
  lastAttemptAt: z.iso.datetime().nullable(),
  /** When the next attempt is due; null once delivered or failed. */
  nextAttemptAt: z.iso.datetime().nullable(),
  deliveredAt: z.iso.datetime().nullable(),
}).meta({ id: 'WebhookDelivery' });
export type WebhookDelivery = z.infer<typeof webhookDeliverySchema>;

/** The run as the v1 API shows it, plus the id of its workflow (definition). */
export const webhookEventRunSchema = v1RunSchema.extend({ workflowId: z.string() }).meta({ id: 'WebhookEventRun' });

/** The body of every webhook request. */
export const webhookEventSchema = z.object({
  /** The same across every attempt of this event: receivers deduplicate by it. */
  id: z.string().meta({ examples: ['evt_3f9a0c2b7d1e4a6b8c0d2e4f6a8b0c1d'] }),
  type: webhookEventTypeSchema,
  /** When the run reached this state. */
  createdAt: z.iso.datetime(),
  run: webhookEventRunSchema,
}).meta({ id: 'WebhookEvent' });
export type WebhookEvent = z.infer<typeof webhookEventSchema>;

