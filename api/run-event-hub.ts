// Every open run event stream of this API process, fed by the run read model's change feed. One
// feed subscription serves them all, and each change is read from the store once however many
// streams want it (a notice carries only ids; the row is the content).
import { BatonError } from '../src/domain/errors.ts';
import type { RunSnapshot } from '../src/domain/run.ts';
import type { RunChange, RunFeed } from '../src/store/run-feed.ts';
import type { RunRepository } from '../src/store/runs.ts';

/** One open stream, as the hub sees it. */
export interface RunWatcher {
  readonly project: string;
  /** Whether this change may interest the stream (its run, or its status filter): the row is read only if some stream says yes. */
  wants(change: RunChange): boolean;
  /** The run as the store holds it now, after a change some stream wanted; the stream filters again. */
  deliver(snapshot: RunSnapshot): void;
  /** Ends the stream (the hub is closing). */
  end(): void;
}

export interface RunEventHubOptions {
  feed: Pick<RunFeed, 'subscribe' | 'ready'>;
  runs: Pick<RunRepository, 'get'>;
  /** BATON_MAX_EVENT_STREAMS: more open streams than this are refused with 503 too_many_streams. */
  maxStreams: number;
  /** How often an idle stream sends a comment (default 15 s). */
  heartbeatMs?: number;
  log?: (line: string) => void;
}

export interface RunEventHub {
  readonly heartbeatMs: number;
  /**
   * Resolves once changes flow (on PostgreSQL, the LISTEN connection is up): a stream registered
   * before this resolves misses no change committed after it. Throws engine_unavailable when the
   * database cannot be reached.
   */
  ready(): Promise<void>;
  /** Registers an open stream; throws too_many_streams when maxStreams are open. Returns its removal (idempotent). */
  add(watcher: RunWatcher): () => void;
  /** How many streams are open in this process. */
  readonly size: number;
  /** Ends every stream and stops listening (the API is shutting down). */
  close(): void;
}

export const defaultHeartbeatMs = 15_000;

interface PendingRead {
  /** Another notice came while the row was being read: read it once more. */
  again: boolean;
  /** The newest version delivered in this burst, so the re-read does not deliver it twice. */
  delivered: number;
}

export function createRunEventHub(options: RunEventHubOptions): RunEventHub {
  const byProject = new Map<string, Set<RunWatcher>>();
  // One read in flight per run; notices arriving meanwhile coalesce into one more read.
  const reading = new Map<string, PendingRead>();
  let size = 0;
  let closed = false;

  const readAndDeliver = async (project: string, runId: string, key: string): Promise<void> => {
    const pending: PendingRead = { again: false, delivered: -1 };
    reading.set(key, pending);
    try {
      do {
        pending.again = false;
        let snapshot: RunSnapshot | undefined;
        try {
          snapshot = await options.runs.get(project, runId);
        } catch (error) {
          // The streams miss this change; a later one (or a reconnect) brings them up to date.
          options.log?.(`run events: cannot read run ${runId}: ${(error as Error).message}`);
          continue;
        }
        if (!snapshot || snapshot.version <= pending.delivered) continue;
        pending.delivered = snapshot.version;
        for (const watcher of [...(byProject.get(project) ?? [])]) watcher.deliver(snapshot);
      } while (pending.again && !closed);
    } finally {
      reading.delete(key);
    }
  };

  const onChange = (change: RunChange) => {
    const watchers = byProject.get(change.project);
    if (!watchers || ![...watchers].some((watcher) => watcher.wants(change))) return;
    const key = `${change.project}\n${change.runId}`;
    const inFlight = reading.get(key);
    if (inFlight) {
      inFlight.again = true;
      return;
    }
    void readAndDeliver(change.project, change.runId, key);
  };

  // Subscribed for the life of the API, not per stream: on PostgreSQL the LISTEN connection is then
  // up before the first client connects, so a stream opened right after start misses nothing.
  const unsubscribe = options.feed.subscribe(onChange);

  return {
    heartbeatMs: options.heartbeatMs ?? defaultHeartbeatMs,
    async ready() {
      try {
        await options.feed.ready();
      } catch (error) {
        options.log?.(`run events: the change feed is not ready: ${(error as Error).message}`);
        throw new BatonError('engine_unavailable', 'Run changes cannot be followed right now: the database\'s change feed is unreachable.');
      }
    },
    get size() {
      return size;
    },
    add(watcher) {
      if (closed) throw new BatonError('engine_unavailable', 'The API is shutting down.');
      if (size >= options.maxStreams) {
        throw new BatonError('too_many_streams', `This API process already holds ${options.maxStreams} open event streams (BATON_MAX_EVENT_STREAMS); retry later.`);
      }
      let watchers = byProject.get(watcher.project);
      if (!watchers) byProject.set(watcher.project, (watchers = new Set()));
      watchers.add(watcher);
      size++;
      let removed = false;
      return () => {
        if (removed) return;
        removed = true;
        size--;
        watchers.delete(watcher);
        if (watchers.size === 0 && byProject.get(watcher.project) === watchers) byProject.delete(watcher.project);
      };
    },
    close() {
      if (closed) return;
      closed = true;
      unsubscribe();
      for (const watchers of [...byProject.values()]) for (const watcher of [...watchers]) watcher.end();
    },
  };
}
