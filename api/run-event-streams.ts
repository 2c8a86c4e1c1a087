// The two kinds of run event stream: one run (its current state first, then each change, ending
// once it finishes) and a whole project (each change from now on, optionally filtered). Both send
// `event: run`, `id: <runId>:<version>` and the run as JSON in `data:`.
import { BatonError } from '../src/domain/errors.ts';
import { finishedStatuses, type RunSnapshot, type RunStatus } from '../src/domain/run.ts';
import type { RunRepository } from '../src/store/runs.ts';
import type { RunService } from '../src/temporal/run-service.ts';
import { createEventStream, eventStreamHeaders, sseMessage, type EventStream } from './event-stream.ts';
import type { RunEventHub, RunWatcher } from './run-event-hub.ts';

/**
 * A run's current state for the start of its stream: the read model, or Temporal for a run it has
 * not recorded yet (just started); an unknown run, or another project's, is run_not_found.
 */
export function currentRun(store: { runs: Pick<RunRepository, 'get'> }, runs: Pick<RunService, 'get'>, project: string, runId: string) {
  return async (): Promise<RunSnapshot> => (await store.runs.get(project, runId)) ?? (await runs.get(project, runId));
}

/** Unread bytes a client may leave behind before its stream is dropped (a run is a few KiB). */
const maxBufferedBytes = 1024 * 1024;

/** How the run appears in `data:`: the v1 body, or the Agent Manager API's run detail. */
export type RunEventData = (snapshot: RunSnapshot) => unknown;

export interface RunStreamRequest {
  hub: RunEventHub;
  /** HEAD answers the headers (or the error) and opens nothing. */
  method: string;
  project: string;
  timeoutMs?: number;
  toData: RunEventData;
}

function runEvent(snapshot: RunSnapshot, toData: RunEventData): string {
  return sseMessage({ event: 'run', id: `${snapshot.runId}:${snapshot.version}`, data: JSON.stringify(toData(snapshot)) });
}

function openStream(request: RunStreamRequest, onEnd: () => void): EventStream {
  const stream = createEventStream({ heartbeatMs: request.hub.heartbeatMs, timeoutMs: request.timeoutMs, maxBufferedBytes, onEnd });
  // Something to send at once, so the client has the response headers before the first change.
  stream.write(': connected\n\n');
  return stream;
}

const streamResponse = (body: ReadableStream<Uint8Array> | null) => new Response(body, { status: 200, headers: eventStreamHeaders });

/**
 * The version a reconnecting client already has of `runId`, from its Last-Event-ID
 * (`<runId>:<version>`); anything else (another run, a made-up id) is ignored.
 */
export function lastSeenVersion(lastEventId: string | undefined, runId: string): number | undefined {
  if (lastEventId === undefined || !lastEventId.startsWith(`${runId}:`)) return undefined;
  const version = lastEventId.slice(runId.length + 1);
  return /^\d{1,9}$/.test(version) ? Number(version) : undefined;
}

/**
 * One run's stream: its current state (unless Last-Event-ID says the client has it), then every
 * change, ending after a finished state. A client whose Last-Event-ID already has the finished
 * state gets 204, which tells EventSource to stop reconnecting. `read` answers the current state
 * or throws (run_not_found for an unknown run or another project's).
 */
export async function runEventStream(request: RunStreamRequest & { runId: string; lastEventId?: string; read: () => Promise<RunSnapshot> }): Promise<Response> {
  const { runId } = request;
  const lastSeen = lastSeenVersion(request.lastEventId, runId);
  // Opened once the current state is known; the watcher is registered before that.
  let stream: EventStream | undefined = undefined;
  let lastSent = lastSeen ?? -1;
  // Changes that arrive while the current state is being read, sent right after it.
  let held: RunSnapshot | undefined;
  let hubClosed = false;

  const send = (snapshot: RunSnapshot) => {
    if (!stream || snapshot.version <= lastSent) return;
    lastSent = snapshot.version;
    stream.write(runEvent(snapshot, request.toData));
    if (finishedStatuses.includes(snapshot.status)) stream.close();
  };
  const watcher: RunWatcher = {
    project: request.project,
    wants: (change) => change.runId === runId && change.version > lastSent,
    deliver(snapshot) {
      if (snapshot.runId !== runId) return;
      if (stream) send(snapshot);
      else if (!held || snapshot.version > held.version) held = snapshot;
    },
    end() {
      hubClosed = true;
      if (stream) stream.close();
      else remove();
    },
  };

  // Registered (and the feed flowing) before the read, so a change committed meanwhile is not lost.
  const remove = request.hub.add(watcher);
  let current: RunSnapshot;
  try {
    await request.hub.ready();
    current = await request.read();
  } catch (error) {
    remove();
    throw error;
  }
  if (hubClosed || request.method === 'HEAD' || (finishedStatuses.includes(current.status) && lastSeen !== undefined && lastSeen >= current.version)) {
    remove();
    if (hubClosed) throw new BatonError('engine_unavailable', 'The API is shutting down.');
    return request.method === 'HEAD' ? streamResponse(null) : new Response(null, { status: 204 });
  }
  stream = openStream(request, remove);
  send(current);
  if (held) send(held);
  return streamResponse(stream.body);
}

export interface RunFilterOfEvents {
  status?: RunStatus;
  agent?: string;
}

/** The project's stream: every change from now on whose new state matches the filter. */
export async function projectEventStream(request: RunStreamRequest & { filter: RunFilterOfEvents }): Promise<Response> {
  const { status, agent } = request.filter;
  // "From now on" starts when the answer starts: changes flow by then.
  await request.hub.ready();
  if (request.method === 'HEAD') return streamResponse(null);
  let remove = () => {};
  const stream = openStream(request, () => remove());
  const watcher: RunWatcher = {
    project: request.project,
    wants: (change) => status === undefined || change.status === status,
    deliver(snapshot) {
      if ((status !== undefined && snapshot.status !== status) || (agent !== undefined && snapshot.agent !== agent)) return;
      stream.write(runEvent(snapshot, request.toData));
    },
    end: () => stream.close(),
  };
  try {
    remove = request.hub.add(watcher);
  } catch (error) {
    stream.close();
    throw error;
  }
  return streamResponse(stream.body);
}
