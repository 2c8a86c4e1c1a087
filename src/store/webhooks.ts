// Webhooks and the outbox of their deliveries. Events are enqueued inside the transaction that
// records a run's settle (see runs.ts), so a committed pause or end always has its deliveries;
// the sender (src/webhooks) claims due rows with a lease, sends them and records each attempt.
import { createHash, randomBytes } from 'node:crypto';
import { sql, type Kysely, type Selectable } from 'kysely';
import { newUlid } from '../domain/new-ulid.ts';
import type { PageQuery, SpringPage } from '../domain/definition-input.ts';
import { BatonError } from '../domain/errors.ts';
import type { RunSnapshot } from '../domain/run.ts';
import {
  eventTypeOf,
  webhookEventTypes,
  type DeliveryStatus,
  type Webhook,
  type WebhookCreate,
  type WebhookCreated,
  type WebhookDelivery,
  type WebhookEventType,
  type WebhookPatch,
} from '../domain/webhook.ts';
import type { Database, WebhooksTable } from './database.ts';
import type { RunSettledOutbox } from './runs.ts';

/** A delivery a sender has claimed: everything it needs to send one attempt. */
export interface ClaimedDelivery {
  webhookId: string;
  eventId: string;
  /** Identifies this claim: only its holder may record the outcome. */
  claimToken: string;
  url: string;
  secret: string;
  type: WebhookEventType;
  runId: string;
  runVersion: number;
  /** The run as it was when the event happened. */
  snapshot: RunSnapshot;
  occurredAt: Date;
  enqueuedAt: Date;
  /** Attempts made before this one. */
  attempts: number;
}

/** What one attempt came to, as the sender decided it. */
export interface AttemptOutcome {
  at: Date;
  /** delivered (2xx), pending (retry at nextAttemptAt) or failed (given up). */
  status: DeliveryStatus;
  responseStatus: number | null;
  error: string | null;
  nextAttemptAt: Date | null;
}

export interface ClaimRequest {
  now: Date;
  /** How many deliveries to claim at most. */
  limit: number;
  /** How long the claim keeps other senders away: longer than one attempt can take. */
  leaseMs: number;
  /** Deliveries this process is already sending, per webhook; a webhook at `maxPerWebhook` gets no more. */
  inFlight?: ReadonlyMap<string, number>;
  maxPerWebhook?: number;
}

export interface WebhookRepository {
  /** Creates a webhook with a new signing secret, returned only here. */
  create(project: string, input: WebhookCreate): Promise<WebhookCreated>;
  /** The project's webhooks, oldest first. */
  list(project: string, page: PageQuery): Promise<SpringPage<Webhook>>;
  get(project: string, id: string): Promise<Webhook>;
  update(project: string, id: string, patch: WebhookPatch): Promise<Webhook>;
  /** Deletes the webhook and its deliveries (pending ones are never sent). */
  delete(project: string, id: string): Promise<void>;
  /** The webhook's deliveries, newest first. */
  deliveries(project: string, id: string, page: PageQuery): Promise<SpringPage<WebhookDelivery>>;
  /**
   * The event `snapshot` announces, enqueued for every webhook of its project subscribed to it, as
   * part of the statement that records the run (RunRepository.record); the same snapshot again adds nothing.
   */
  settledOutbox: RunSettledOutbox;
  /**
   * Claims due deliveries, oldest due first, each the earliest pending event of its (webhook, run),
   * skipping rows another sender holds (FOR UPDATE SKIP LOCKED, then a lease).
   */
  claimDue(request: ClaimRequest): Promise<ClaimedDelivery[]>;
  /** Records an attempt of a claimed delivery and ends the claim; false when the claim was lost. */
  recordAttempt(claim: ClaimedDelivery, outcome: AttemptOutcome): Promise<boolean>;
  /** Ends a claim without counting an attempt (the sender stopped mid-send): the delivery is due again at once. */
  release(claim: ClaimedDelivery): Promise<void>;
  /** Deletes events enqueued before `before` that have no pending delivery, with their deliveries. */
  prune(before: Date): Promise<number>;
}

/** The event id of a run state: the same project, run, snapshot version and type always give the same id. */
export function webhookEventId(project: string, runId: string, version: number, type: WebhookEventType): string {
  return `evt_${createHash('sha256').update(`${project}\n${runId}\n${version}\n${type}`).digest('hex').slice(0, 32)}`;
}

function newSecret(): string {
  return `whsec_${randomBytes(32).toString('base64url')}`;
}

/** A set, in the documented order: duplicates in a request mean the same subscription. */
function normalizedEvents(events: readonly WebhookEventType[] | undefined): WebhookEventType[] {
  return events === undefined ? [...webhookEventTypes] : webhookEventTypes.filter((type) => events.includes(type));
}

function iso(value: Date | string): string {
  return new Date(value).toISOString();
}
function isoOrNull(value: Date | string | null): string | null {
  return value === null ? null : iso(value);
}

function webhookFromRow(row: Selectable<WebhooksTable>): Webhook {
  return { id: row.id, url: row.url, events: normalizedEvents(row.events as WebhookEventType[]), createdAt: iso(row.created_at), updatedAt: iso(row.updated_at) };
}

function webhookNotFound(id: string): BatonError {
  return new BatonError('webhook_not_found', `No webhook ${JSON.stringify(id)} in this project.`, { id });
}

function springPage<T>(content: T[], total: number, size: number): SpringPage<T> {
  return { content, totalElements: total, totalPages: Math.ceil(total / size) };
}

export function createWebhookRepository(db: Kysely<Database>): WebhookRepository {
  async function find(project: string, id: string) {
    return db.selectFrom('webhooks').selectAll().where('project', '=', project).where('id', '=', id).executeTakeFirst();
  }

  return {
    async create(project, input) {
      const now = new Date();
      const row = {
        id: `whk_${newUlid()}`,
        project,
        url: input.url,
        events: JSON.stringify(normalizedEvents(input.events)),
        secret: newSecret(),
        created_at: now,
        updated_at: now,
      };
      await db.insertInto('webhooks').values(row).execute();
      return { id: row.id, url: row.url, events: normalizedEvents(input.events), secret: row.secret, createdAt: now.toISOString(), updatedAt: now.toISOString() };
    },

    async list(project, { page, size }) {
      const [rows, count] = await Promise.all([
        db.selectFrom('webhooks').selectAll().where('project', '=', project).orderBy('created_at').orderBy('id').offset(page * size).limit(size).execute(),
        db.selectFrom('webhooks').select((eb) => eb.fn.countAll<string>().as('count')).where('project', '=', project).executeTakeFirstOrThrow(),
      ]);
      return springPage(rows.map(webhookFromRow), Number(count.count), size);
    },

    async get(project, id) {
      const row = await find(project, id);
      if (!row) throw webhookNotFound(id);
      return webhookFromRow(row);
    },

    async update(project, id, patch) {
      const set: { url?: string; events?: string; updated_at: Date } = { updated_at: new Date() };
      if (patch.url !== undefined) set.url = patch.url;
      if (patch.events !== undefined) set.events = JSON.stringify(normalizedEvents(patch.events));
      const row = await db.updateTable('webhooks').set(set).where('project', '=', project).where('id', '=', id).returningAll().executeTakeFirst();
      if (!row) throw webhookNotFound(id);
      return webhookFromRow(row);
    },

    async delete(project, id) {
      const deleted = await db.deleteFrom('webhooks').where('project', '=', project).where('id', '=', id).executeTakeFirst();
      if (deleted.numDeletedRows === 0n) throw webhookNotFound(id);
    },

    async deliveries(project, id, { page, size }) {
      if (!(await find(project, id))) throw webhookNotFound(id);
      const [rows, count] = await Promise.all([
        db.selectFrom('webhook_deliveries as d')
          .innerJoin('webhook_events as e', 'e.id', 'd.event_id')
          .select(['d.event_id', 'e.type', 'd.run_id', 'd.status', 'd.attempts', 'd.last_response_status', 'd.last_error', 'd.enqueued_at', 'd.last_attempt_at', 'd.next_attempt_at', 'd.delivered_at'])
          .where('d.webhook_id', '=', id)
          .orderBy('d.enqueued_at', 'desc').orderBy('d.run_version', 'desc').orderBy('d.event_id', 'desc')
          .offset(page * size).limit(size)
          .execute(),
        db.selectFrom('webhook_deliveries').select((eb) => eb.fn.countAll<string>().as('count')).where('webhook_id', '=', id).executeTakeFirstOrThrow(),
      ]);
      const content = rows.map((row): WebhookDelivery => ({
        eventId: row.event_id,
        type: row.type as WebhookEventType,
        runId: row.run_id,
        status: row.status,
        attempts: row.attempts,
        lastResponseStatus: row.last_response_status,
        lastError: row.last_error,
        createdAt: iso(row.enqueued_at),
        lastAttemptAt: isoOrNull(row.last_attempt_at),
        nextAttemptAt: row.status === 'pending' ? isoOrNull(row.next_attempt_at) : null,
        deliveredAt: isoOrNull(row.delivered_at),
      }));
      return springPage(content, Number(count.count), size);
    },

    settledOutbox(snapshot, notice) {
      const type = eventTypeOf(snapshot, notice);
      if (!type) return null;
      const eventId = webhookEventId(snapshot.project, snapshot.runId, snapshot.version, type);
      const now = new Date().toISOString();
      // Projects without webhooks pay one indexed read inside the run's own write. The event row
      // and its deliveries are inserted by the same statement; the foreign key is checked at its end.
      return {
        ctes: sql`hooks as (
            select w.id from webhooks w
            where w.project = ${snapshot.project} and w.events @> jsonb_build_array(${type}::text) and exists (select 1 from landed)
          ),
          event as (
            insert into webhook_events (id, project, run_id, run_version, type, snapshot, occurred_at, enqueued_at)
            select ${eventId}, ${snapshot.project}, ${snapshot.runId}, ${snapshot.version}, ${type}, (select snapshot from landed), ${snapshot.updatedAt}::timestamptz, ${now}::timestamptz
            where exists (select 1 from hooks)
            on conflict (id) do nothing
          ),
          deliveries as (
            insert into webhook_deliveries (webhook_id, event_id, run_id, run_version, status, next_attempt_at, enqueued_at)
            select hooks.id, ${eventId}, ${snapshot.runId}, ${snapshot.version}, 'pending', ${now}::timestamptz, ${now}::timestamptz from hooks
            on conflict (webhook_id, event_id) do nothing
            returning webhook_id
          )`,
        enqueued: sql<boolean>`exists (select 1 from deliveries)`,
      };
    },

    async claimDue(request) {
      const { now, limit, leaseMs } = request;
      if (limit <= 0) return [];
      const maxPerWebhook = request.maxPerWebhook ?? Number.POSITIVE_INFINITY;
      const token = newUlid();
      const nowIso = now.toISOString();
      return db.transaction().execute(async (trx) => {
        // More candidates than slots: some may belong to webhooks already at their limit here.
        const candidates = await sql<{ webhook_id: string; event_id: string }>`
          select d.webhook_id, d.event_id from webhook_deliveries d
          where d.status = 'pending'
            and d.next_attempt_at <= ${nowIso}::timestamptz
            and (d.claimed_until is null or d.claimed_until <= ${nowIso}::timestamptz)
            and not exists (
              select 1 from webhook_deliveries earlier
              where earlier.webhook_id = d.webhook_id and earlier.run_id = d.run_id and earlier.status = 'pending'
                and (earlier.run_version, earlier.event_id) < (d.run_version, d.event_id)
            )
          order by d.next_attempt_at, d.enqueued_at, d.event_id
          limit ${limit * 4}
          for update of d skip locked`.execute(trx);
        const taken = new Map(request.inFlight);
        const chosen: Array<{ webhook_id: string; event_id: string }> = [];
        for (const row of candidates.rows) {
          if (chosen.length >= limit) break;
          const count = taken.get(row.webhook_id) ?? 0;
          if (count >= maxPerWebhook) continue;
          taken.set(row.webhook_id, count + 1);
          chosen.push(row);
        }
        if (chosen.length === 0) return [];
        await trx.updateTable('webhook_deliveries')
          .set({ claimed_until: new Date(now.getTime() + leaseMs).toISOString(), claim_token: token })
          .where((eb) => eb.or(chosen.map((row) => eb.and([eb('webhook_id', '=', row.webhook_id), eb('event_id', '=', row.event_id)]))))
          .execute();
        const rows = await trx.selectFrom('webhook_deliveries as d')
          .innerJoin('webhooks as w', 'w.id', 'd.webhook_id')
          .innerJoin('webhook_events as e', 'e.id', 'd.event_id')
          .select(['d.webhook_id', 'd.event_id', 'd.attempts', 'd.enqueued_at', 'w.url', 'w.secret', 'e.type', 'e.run_id', 'e.run_version', 'e.snapshot', 'e.occurred_at'])
          .where('d.claim_token', '=', token)
          .execute();
        const order = new Map(chosen.map((row, index) => [`${row.webhook_id} ${row.event_id}`, index]));
        return rows
          .map((row): ClaimedDelivery => ({
            webhookId: row.webhook_id,
            eventId: row.event_id,
            claimToken: token,
            url: row.url,
            secret: row.secret,
            type: row.type as WebhookEventType,
            runId: row.run_id,
            runVersion: row.run_version,
            // Written by enqueueRunEvents from a typed snapshot; JSON drops its undefined fields (a
            // paused run's `result`), which runSnapshotSchema would refuse, so it is read as stored.
            snapshot: row.snapshot as unknown as RunSnapshot,
            occurredAt: new Date(row.occurred_at),
            enqueuedAt: new Date(row.enqueued_at),
            attempts: row.attempts,
          }))
          .sort((a, b) => order.get(`${a.webhookId} ${a.eventId}`)! - order.get(`${b.webhookId} ${b.eventId}`)!);
      });
    },

    async recordAttempt(claim, outcome) {
      const result = await db.updateTable('webhook_deliveries')
        .set((eb) => ({
          attempts: eb('attempts', '+', 1),
          status: outcome.status,
          last_attempt_at: outcome.at.toISOString(),
          last_response_status: outcome.responseStatus,
          last_error: outcome.error,
          next_attempt_at: outcome.status === 'pending' ? outcome.nextAttemptAt?.toISOString() ?? outcome.at.toISOString() : null,
          delivered_at: outcome.status === 'delivered' ? outcome.at.toISOString() : null,
          claimed_until: null,
          claim_token: null,
        }))
        .where('webhook_id', '=', claim.webhookId)
        .where('event_id', '=', claim.eventId)
        .where('claim_token', '=', claim.claimToken)
        .executeTakeFirst();
      return result.numUpdatedRows > 0n;
    },

    async release(claim) {
      await db.updateTable('webhook_deliveries')
        .set({ claimed_until: null, claim_token: null })
        .where('webhook_id', '=', claim.webhookId)
        .where('event_id', '=', claim.eventId)
        .where('claim_token', '=', claim.claimToken)
        .execute();
    },

    async prune(before) {
      const result = await db.deleteFrom('webhook_events')
        .where('enqueued_at', '<', before)
        .where((eb) => eb.not(eb.exists(
          eb.selectFrom('webhook_deliveries').select('event_id').whereRef('webhook_deliveries.event_id', '=', 'webhook_events.id').where('webhook_deliveries.status', '=', 'pending'),
        )))
        .executeTakeFirst();
      return Number(result.numDeletedRows);
    },
  };
}
