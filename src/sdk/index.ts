// The typed client of Baton's v1 API and webhooks, and the signature check for webhook receivers. Types come from the same zod schemas the server validates with.
export { createClient } from './client.ts';
export type { BatonClient, BatonClientOptions, PageOptions, ForkWorkflowRunOptions, ResumeWorkflowOptions, StartWorkflowOptions, WatchRunOptions, WatchRunsOptions } from './client.ts';
export { readServerSentEvents, ServerSentEventParser, type ServerSentEvent } from './sse.ts';
export { verifyWebhookSignature, type ReceivedHeaders } from './webhook-signature.ts';
export { BatonApiError } from './api-error.ts';
export type {
  EffectiveSettings,
  ErrorBody,
  PendingAction,
  ProjectSettings,
  ProjectSettingsPatch,
  ProjectSettingsView,
  QuorumProgress,
  RunStatus,
  SpringPage,
  V1Answer,
  V1ForkBody,
  V1ListRunsQuery,
  V1ResumeBody,
  V1Run,
  V1RunEventsQuery,
  V1RunList,
  V1RunListItem,
  V1Step,
  V1StartWorkflowBody,
  Webhook,
  WebhookCreate,
  WebhookCreated,
  WebhookDelivery,
  WebhookEvent,
  WebhookEventType,
  WebhookPatch,
} from './api-types.ts';
