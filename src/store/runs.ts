// The run read model: one row per run (its latest recorded snapshot), for lists, counts, the
// inbox, live events and webhooks. Temporal stays the source of truth; a row only moves forward
// (a write lands when its snapshot's version is newer), so retried and out-of-order writes are safe.
import { sql, type Insertable, type Kysely, type RawBuilder } from 'kysely';
import { BatonError } from '../domain/errors.ts';
import { finishedStatuses, type RunFilter, type RunSnapshot, type RunStatus } from '../domain/run.ts';
import type { RunNotice } from '../domain/webhook.ts';
import type { Database, RunsTable } from './database.ts';
import { prepareQuery } from './prepared-query.ts';
import { encodeChange, type RunChange, type RunFeedPublisher } from './run-feed.ts';
import { storableJson } from './sessions.ts';

/**
 * The outbox part of a settle's write, as common table expressions of that same statement: they may
 * read `landed` (the run's `run_id` and `snapshot` as written, when the write landed) and `enqueued`
 * says whether they queued any delivery. Null when the snapshot announces nothing. Webhooks fill it (src/store/webhooks.ts).
 */
export type RunSettledOutbox = (snapshot: RunSnapshot, notice?: RunNotice) => { ctes: RawBuilder<unknown>; enqueued: RawBuilder<boolean> } | null;

export type RunOrder = 'newest' | 'oldest';

export interface RunPageRequest {
  limit: number;
  /** A `nextCursor` of an earlier page of the same filter and order. */
  cursor?: string;
  /** Newest first (lists) by default; the inbox reads paused runs oldest first. */
  order?: RunOrder;
}

export interface RunRepository {
  /**
   * Stores `snapshot` when it is newer than the row (by version); returns whether it landed. A
   * landed settle (paused, or finished) fills the webhook outbox in the same statement, as a
   * `notice` event when one is given (a paused run that took a quorum answer, or a reminder).
   */
  record(snapshot: RunSnapshot, notice?: RunNotice): Promise<boolean>;
  get(project: string, runId: string): Promise<RunSnapshot | undefined>;
  /** Keyset pages on (createdAt, runId): stable while runs change state, no duplicates, none skipped. */
  list(project: string, filter: RunFilter, page: RunPageRequest): Promise<{ runs: RunSnapshot[]; nextCursor: string | null }>;
  /** Offset pages (Spring-style APIs), same order as list. */
  page(project: string, filter: RunFilter, page: { offset: number; limit: number; order?: RunOrder }): Promise<RunSnapshot[]>;
  count(project: string, filter: RunFilter): Promise<number>;
  /** The runs forked from `runId` (of the same project), oldest first. */
  forksOf(project: string, runId: string): Promise<string[]>;
  /** Runs of every project by status: one grouped count, for the metrics scrape. */
  countByStatus(): Promise<Partial<Record<RunStatus, number>>>;
  /** Which of `runIds` have a row (for the backfill). */
  known(project: string, runIds: readonly string[]): Promise<Set<string>>;
  /** Whether the one-time job `name` has run on this database, and marking it done. */
  jobDone(name: string): Promise<boolean>;
  markJobDone(name: string): Promise<void>;
}

export function createRunRepository(db: Kysely<Database>, options: { feed: RunFeedPublisher; settledOutbox?: RunSettledOutbox }): RunRepository {
  const { feed } = options;
  // Runs at every settle (and start): built and compiled once (see prepareQuery), embedded below.
  const upsertRun = prepareQuery(db, (row: Insertable<RunsTable>) =>
    db
      .insertInto('runs')
      .values({
        project: row.project,
        run_id: row.run_id,
        definition_id: row.definition_id,
        agent: row.agent,
        session_id: row.session_id,
        status: row.status,
        current_step_order: row.current_step_order,
        pending_action: row.pending_action,
        snapshot: row.snapshot,
        version: row.version,
        created_at: row.created_at,
        updated_at: row.updated_at,
        parent_run_id: row.parent_run_id,
      })
      .onConflict((oc) =>
        oc.columns(['project', 'run_id']).doUpdateSet((eb) => ({
          status: eb.ref('excluded.status'),
          current_step_order: eb.ref('excluded.current_step_order'),
          pending_action: eb.ref('excluded.pending_action'),
          snapshot: eb.ref('excluded.snapshot'),
          version: eb.ref('excluded.version'),
          updated_at: eb.ref('excluded.updated_at'),
          // A snapshot read from history alone (a run whose workflow task fails) cannot name the parent: keep the one known.
          parent_run_id: sql<string | null>`coalesce(runs.parent_run_id, excluded.parent_run_id)`,
          // created_at, definition, agent and session never change: the keyset stays put.
        })).where('runs.version', '<', (eb) => eb.ref('excluded.version')),
      )
      // The snapshot too: the outbox's event takes it from here rather than from a second copy of the JSON.
      .returning(['run_id', 'snapshot']),
  );
  return {
    async record(snapshot, notice) {
      const upsert = upsertRun.fragment({
        project: snapshot.project,
        run_id: snapshot.runId,
        definition_id: snapshot.definitionId,
        agent: snapshot.agent,
        session_id: snapshot.sessionId,
        status: snapshot.status,
        current_step_order: snapshot.currentStepOrder,
        pending_action: storableJson(snapshot.pendingAction),
        snapshot: storableJson(snapshot)!,
        version: snapshot.version,
        created_at: snapshot.createdAt,
        updated_at: snapshot.updatedAt,
        parent_run_id: snapshot.forkedFrom?.runId ?? null,
      });
      const outbox = isSettle(snapshot.status) ? (options.settledOutbox?.(snapshot, notice) ?? null) : null;
      const change = (enqueued: boolean): RunChange => ({ project: snapshot.project, runId: snapshot.runId, version: snapshot.version, status: snapshot.status, ...(enqueued ? { enqueued: true } : {}) });
      const enqueued = outbox ? outbox.enqueued : sql<boolean>`false`;
      // On PostgreSQL the notice rides on the same statement, sent only for a row that landed (and
      // delivered at commit). One statement in all: the row, its webhook events and the notice are
      // atomic without a transaction, and a settle costs one round trip whether or not anyone
      // subscribed. (A webhook created while this runs may miss this one event: it happened as the
      // webhook was being created.)
      const notification = feed.notifyChannel
        ? sql<unknown>`case when exists (select 1 from landed) then pg_notify(${feed.notifyChannel}, case when ${enqueued} then ${encodeChange(change(true))} else ${encodeChange(change(false))} end) end`
        : sql<unknown>`null`;
      const { rows } = await sql<{ landed: boolean; enqueued: boolean }>`
        with landed as (${upsert})${outbox ? sql`, ${outbox.ctes}` : sql``}
        select exists (select 1 from landed) as landed, ${enqueued} as enqueued, ${notification} as notified`.execute(db);
      const landed = rows[0]?.landed === true;
      if (landed) feed.published(change(rows[0]?.enqueued === true));
      return landed;
    },

    async get(project, runId) {
      const row = await db.selectFrom('runs').select('snapshot').where('project', '=', project).where('run_id', '=', runId).executeTakeFirst();
      return row ? toSnapshot(row.snapshot) : undefined;
    },

    async list(project, filter, page) {
      const order = page.order ?? 'newest';
      const after = page.cursor === undefined ? undefined : decodeRunCursor(page.cursor);
      let query = filtered(db, project, filter).select('snapshot').select(['created_at', 'run_id']);
      if (after) {
        const tuple = sql`(created_at, run_id)`;
        query = query.where(order === 'newest' ? sql<boolean>`${tuple} < (${after.createdAt}::timestamptz, ${after.runId})` : sql<boolean>`${tuple} > (${after.createdAt}::timestamptz, ${after.runId})`);
      }
      const rows = await ordered(query, order).limit(page.limit + 1).execute();
      const more = rows.length > page.limit;
      const kept = more ? rows.slice(0, page.limit) : rows;
      const last = kept.at(-1);
      return { runs: kept.map((row) => toSnapshot(row.snapshot)), nextCursor: more && last ? encodeRunCursor({ createdAt: new Date(last.created_at).toISOString(), runId: last.run_id }) : null };
    },

    async page(project, filter, page) {
      const rows = await ordered(filtered(db, project, filter).select('snapshot'), page.order ?? 'newest').offset(page.offset).limit(page.limit).execute();
      return rows.map((row) => toSnapshot(row.snapshot));
    },

    async count(project, filter) {
      const row = await filtered(db, project, filter).select((eb) => eb.fn.countAll<string>().as('count')).executeTakeFirstOrThrow();
      return Number(row.count);
    },

    async forksOf(project, runId) {
      const rows = await db.selectFrom('runs').select('run_id').where('project', '=', project).where('parent_run_id', '=', runId).orderBy('created_at').orderBy('run_id').execute();
      return rows.map((row) => row.run_id);
    },

    async countByStatus() {
      const rows = await db.selectFrom('runs').select('status').select((eb) => eb.fn.countAll<string>().as('count')).groupBy('status').execute();
      return Object.fromEntries(rows.map((row) => [row.status, Number(row.count)]));
    },

    async known(project, runIds) {
      if (runIds.length === 0) return new Set();
      const rows = await db.selectFrom('runs').select('run_id').where('project', '=', project).where('run_id', 'in', [...runIds]).execute();
      return new Set(rows.map((row) => row.run_id));
    },

    async jobDone(name) {
      return (await db.selectFrom('baton_jobs').select('name').where('name', '=', name).executeTakeFirst()) !== undefined;
    },

    async markJobDone(name) {
      await db.insertInto('baton_jobs').values({ name, done_at: new Date() }).onConflict((oc) => oc.column('name').doNothing()).execute();
    },
  };
}

function isSettle(status: RunStatus): boolean {
  return status === 'paused' || finishedStatuses.includes(status);
}

function filtered(db: Kysely<Database>, project: string, filter: RunFilter) {
  let query = db.selectFrom('runs').where('project', '=', project);
  if (filter.status) query = query.where('status', '=', filter.status);
  if (filter.agent) query = query.where('agent', '=', filter.agent);
  if (filter.definitionId) query = query.where('definition_id', '=', filter.definitionId);
  if (filter.sessionId) query = query.where('session_id', '=', filter.sessionId);
  return query;
}

function ordered<Q extends { orderBy: (column: 'created_at' | 'run_id', direction: 'asc' | 'desc') => Q }>(query: Q, order: RunOrder): Q {
  const direction = order === 'newest' ? 'desc' : 'asc';
  return query.orderBy('created_at', direction).orderBy('run_id', direction);
}

/**
 * Rows hold the snapshot exactly as the workflow's Query would return it: JSON, so a value that was
 * undefined (an absent input) is an absent key, as it is after Temporal's own JSON payloads. Not
 * parsed with runSnapshotSchema, which would refuse exactly those keys.
 */
function toSnapshot(value: unknown): RunSnapshot {
  return value as RunSnapshot;
}

interface RunCursor {
  createdAt: string;
  runId: string;
}

// `<createdAt ISO>|<runId>` in base64url: opaque to callers, checked on the way back in.
export function encodeRunCursor(cursor: RunCursor): string {
  return Buffer.from(`${cursor.createdAt}|${cursor.runId}`).toString('base64url');
}

export function decodeRunCursor(cursor: string): RunCursor {
  const text = /^[A-Za-z0-9_-]{1,400}$/.test(cursor) ? Buffer.from(cursor, 'base64url').toString('utf8') : '';
  const match = /^(\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}\.\d{3}Z)\|([A-Za-z0-9_-]{1,200})$/.exec(text);
  if (!match || Number.isNaN(Date.parse(match[1]!))) {
    throw new BatonError('invalid_request', 'cursor is not one this API issued; pass next_cursor from the previous page as is');
  }
  return { createdAt: match[1]!, runId: match[2]! };
}
