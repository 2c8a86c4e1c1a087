import { z } from '@hono/zod-openapi';
import { errorResponse } from './openapi-errors.ts';

// How /openapi.json documents a run event stream. OpenAPI 3.1 has a `text/event-stream` schema
// describe one event (`event`, `id`, `data`); `data` is JSON text whose schema is the run body, so
// generators and fuzzers can check each event's payload too.

export function runEventSchema(componentId: string, runComponentId: string) {
  return z.object({
    event: z.literal('run'),
    id: z.string().meta({ description: '`<runId>:<version>`: the run and its state version, which grows with every change. EventSource sends the last one back as Last-Event-ID.' }),
    data: z.string().meta({
      description: `The run as JSON, the \`${runComponentId}\` body`,
      contentMediaType: 'application/json',
      contentSchema: { $ref: `#/components/schemas/${runComponentId}` },
    }),
  }).meta({ id: componentId });
}

export const eventStreamFormat =
  'A `text/event-stream` (Server-Sent Events). Each change the run read model records (the start, each pause, each ' +
  'answer applied, the end) is one event: `event: run`, `id: <runId>:<version>`, `data:` the run as one line of JSON. ' +
  'A comment line (`: keep-alive`) comes every 15 s while nothing changes, so proxies keep the connection open. The ' +
  'data is the run as it stands when the event is sent: a run that changes again before its event is sent is ' +
  'reported once, in its newer state.';

export function eventStreamResponse(description: string, schema: z.ZodType) {
  return { description, content: { 'text/event-stream': { schema } } };
}

/** 503 of the stream routes: the stream limit, or (a run's stream) Temporal unreachable when the run is read from it. */
export const streamLimitError = {
  503: errorResponse(
    'too_many_streams: this API process already holds BATON_MAX_EVENT_STREAMS open event streams; engine_unavailable: ' +
    'Temporal is unreachable (a run the read model has not recorded yet is read from Temporal), the database\'s change feed is ' +
    'unreachable, or the API is shutting down; ' +
    'engine_busy: Temporal is rate limiting Baton. Retry after the Retry-After header',
  ),
};

export const finishedNoContent = {
  204: { description: 'The run has finished and Last-Event-ID already names its final state: nothing more will come (EventSource stops reconnecting on 204)' },
};
