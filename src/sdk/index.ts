// The typed client of Baton's v1 API and webhooks, and the signature check for webhook receivers. Types come from the same zod schemas the server validates with.
export { createClient } from './client.ts';
export type { BatonClient, BatonClientOptions, PageOptions, ForkWorkflowRunOptions, ResumeWorkflowOptions, StartWorkflowOptions, WatchRunOptions, WatchRunsOptions } from './client.ts';
export { readServerSentEvents, ServerSentEventParser, type ServerSentEvent } from './sse.ts';
export { verifyWebhookSignature, type ReceivedHeaders } from './webhook-signature.ts';
export { BatonApiError } from './api-error.ts';
// Every type the SDK speaks in: api-types.ts is the one list (the package build expands it).
export type * from './api-types.ts';
