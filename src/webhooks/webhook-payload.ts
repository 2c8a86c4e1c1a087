import { toV1Run } from '../domain/v1-shape.ts';
import type { RunSnapshot } from '../domain/run.ts';
import type { WebhookEvent, WebhookEventType } from '../domain/webhook.ts';

export const eventIdHeader = 'X-Baton-Event-Id';
export const eventTypeHeader = 'X-Baton-Event';

/**
 * The body of a webhook request: the run as the v1 API shows it (so a receiver parses one shape
 * for API answers and events) plus its workflow id. Built from the snapshot stored with the event,
 * so every attempt sends the same run.
 */
export function webhookEventBody(event: { eventId: string; type: WebhookEventType; occurredAt: Date; snapshot: RunSnapshot }): WebhookEvent {
  return {
    id: event.eventId,
    type: event.type,
    createdAt: event.occurredAt.toISOString(),
    run: { ...toV1Run(event.snapshot), workflowId: event.snapshot.definitionId },
  };
}
