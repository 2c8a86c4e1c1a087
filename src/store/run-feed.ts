// Change notices of the run read model, for live events (SSE), the inbox and the webhook sender.
// On PGlite every writer is in this process, so notices are plain in-process calls; on PostgreSQL
// the writer (often a worker in another process) sends pg_notify in the write's own transaction and
// every API process LISTENs, so a notice arrives only for a committed row.
import { EventEmitter } from 'node:events';
import pg from 'pg';
import type { RunStatus } from '../domain/run.ts';

/** A run's row changed to `version`; read the row for its content (notices carry no run data). */
export interface RunChange {
  project: string;
  runId: string;
  version: number;
  status: RunStatus;
  /** The write also queued webhook deliveries (the sender wakes for these only). */
  enqueued?: boolean;
}

export type RunChangeListener = (change: RunChange) => void;

export interface RunFeed {
  /** Calls `listener` for every committed change from now on; returns the unsubscribe. */
  subscribe(listener: RunChangeListener): () => void;
  /**
   * Resolves once notices flow (PostgreSQL: the LISTEN connection is up, opening it if needed), so a
   * reader that subscribes, awaits this, then reads the table misses no change in between.
   */
  ready(): Promise<void>;
  close(): Promise<void>;
}

/** Where the writer of the read model hands its notices. */
export interface RunFeedPublisher {
  /** In-process feeds publish after commit; PostgreSQL ones notify inside the transaction instead. */
  readonly notifyChannel: string | null;
  published(change: RunChange): void;
}

/** Notices within this process: the embedded store (PGlite), or tests. */
export function createLocalRunFeed(): RunFeed & RunFeedPublisher {
  const emitter = new EventEmitter();
  // SSE connections each subscribe; the default warning at 10 listeners would be noise.
  emitter.setMaxListeners(0);
  return {
    notifyChannel: null,
    published(change) {
      emitter.emit('change', change);
    },
    subscribe(listener) {
      const guarded = (change: RunChange) => callSafely(listener, change);
      emitter.on('change', guarded);
      return () => emitter.off('change', guarded);
    },
    async ready() {},
    async close() {
      emitter.removeAllListeners();
    },
  };
}

/** The NOTIFY channel of a store: one per schema, since several stores may share a database. */
export function runChangeChannel(schema: string | undefined): string {
  return `baton_runs_${schema ?? 'public'}`;
}

const reconnectDelayMs = 1_000;

/**
 * LISTENs on the store's channel over one dedicated connection, opened at the first subscriber.
 * A dropped connection is reopened after a second; notices sent meanwhile are lost, so consumers
 * that must not miss any (the webhook sender) also poll the table.
 */
export function createPostgresRunFeed(options: { databaseUrl: string; channel: string; log?: (line: string) => void }): RunFeed & RunFeedPublisher {
  const emitter = new EventEmitter();
  emitter.setMaxListeners(0);
  let client: pg.Client | null = null;
  let connecting: Promise<void> | null = null;
  let closed = false;
  let retry: NodeJS.Timeout | undefined;

  const connect = (): Promise<void> => {
    if (connecting) return connecting;
    connecting = (async () => {
      const next = new pg.Client({ connectionString: options.databaseUrl });
      next.on('notification', (message) => {
        const change = parseChange(message.payload);
        if (change) emitter.emit('change', change);
      });
      const lost = (error?: Error) => {
        if (client !== next) return;
        client = null;
        connecting = null;
        next.end().catch(() => {});
        if (closed) return;
        options.log?.(`run change feed: connection lost (${error?.message ?? 'ended'}); reconnecting`);
        retry = setTimeout(() => { connect().catch(() => {}); }, reconnectDelayMs);
      };
      next.on('error', lost);
      next.on('end', () => lost());
      try {
        await next.connect();
        await next.query(`listen ${pg.escapeIdentifier(options.channel)}`);
        client = next;
      } catch (error) {
        connecting = null;
        await next.end().catch(() => {});
        if (!closed) retry = setTimeout(() => { connect().catch(() => {}); }, reconnectDelayMs);
        throw error;
      }
      if (closed) await next.end().catch(() => {});
    })();
    return connecting;
  };

  return {
    notifyChannel: options.channel,
    // The transaction's pg_notify is the notice; nothing to do in this process.
    published() {},
    subscribe(listener) {
      if (!client && !closed) connect().catch((error: Error) => options.log?.(`run change feed: ${error.message}`));
      const guarded = (change: RunChange) => callSafely(listener, change);
      emitter.on('change', guarded);
      return () => emitter.off('change', guarded);
    },
    async ready() {
      if (closed) throw new Error('the run change feed is closed');
      if (!client) await connect();
    },
    async close() {
      closed = true;
      clearTimeout(retry);
      emitter.removeAllListeners();
      const current = client;
      client = null;
      await current?.end().catch(() => {});
    },
  };
}

export function encodeChange(change: RunChange): string {
  return JSON.stringify([change.project, change.runId, change.version, change.status, ...(change.enqueued ? [1] : [])]);
}

function parseChange(payload: string | undefined): RunChange | null {
  try {
    const [project, runId, version, status, enqueued] = JSON.parse(payload ?? '') as [string, string, number, RunStatus, 1?];
    return typeof project === 'string' && typeof runId === 'string' && typeof version === 'number' ? { project, runId, version, status, ...(enqueued ? { enqueued: true } : {}) } : null;
  } catch {
    return null;
  }
}

/** One listener that throws must not stop the others (nor reach the emitter's caller). */
function callSafely(listener: RunChangeListener, change: RunChange): void {
  try {
    listener(change);
  } catch {
    // The listener's own failure is its business (an SSE stream that closed).
  }
}
