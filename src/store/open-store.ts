import { mkdir } from 'node:fs/promises';
import path from 'node:path';
import { PGlite } from '@electric-sql/pglite';
import { Kysely, PostgresDialect, sql, type Dialect } from 'kysely';
import pg from 'pg';
import { createAgentRepository, type AgentRepository } from './agents.ts';
import { checkDatabaseConnection } from './database-connection-check.ts';
import type { Database } from './database.ts';
import { withStoreQueryErrors } from './database-errors.ts';
import { countDefinitionChanges } from './definition-cache.ts';
import { createDefinitionRepository, type DefinitionRepository } from './definitions.ts';
import { migrate } from './migrate.ts';
import { PGliteDialect } from './pglite-dialect.ts';
import { createProjectSettingsRepository, type ProjectSettingsRepository } from './project-settings.ts';
import { createLocalRunFeed, createPostgresRunFeed, runChangeChannel, type RunFeed } from './run-feed.ts';
import { createRunRepository, type RunRepository } from './runs.ts';
import { createSessionMemory, type SessionMemory } from './sessions.ts';
import { createWebhookRepository, type WebhookRepository } from './webhooks.ts';

export interface StoreOptions {
  /** PostgreSQL connection string (DATABASE_URL); when absent the store is embedded PGlite. */
  databaseUrl?: string;
  /** PGlite data directory (e.g. `${BATON_HOME}/pglite`); omitted means in memory. Ignored with databaseUrl. */
  dataDir?: string;
  /** PostgreSQL only: keep Baton's tables in this schema (created if missing) instead of `public`. */
  schema?: string;
  /** PostgreSQL only: pool size (default 10). */
  maxConnections?: number;
}

export interface Store {
  definitions: DefinitionRepository;
  agents: AgentRepository;
  /** Each project's defaults for human steps (pause timeout, reminders). */
  projectSettings: ProjectSettingsRepository;
  sessions: SessionMemory;
  /** The run read model (lists, counts, inbox). */
  runs: RunRepository;
  /** Webhooks and their delivery outbox, filled in the transaction that records a run's pause or end. */
  webhooks: WebhookRepository;
  /** Notices of read-model changes, from this process or (PostgreSQL) any process writing the same store. */
  runFeed: RunFeed;
  /** Resolves when the database answers a query; for /readyz. */
  ping(): Promise<void>;
  close(): Promise<void>;
  /** Which database is behind the store, for start-up logs. */
  readonly backend: 'pglite' | 'postgres';
  /**
   * Embedded PGlite only (no other process can write it): how many changes to definitions this
   * store has made, so a cache of definitions knows, without a query, that nothing changed.
   * Null on PostgreSQL, which other processes write too.
   */
  definitionChanges: (() => number) | null;
}

const schemaName = /^[a-z_][a-z0-9_]{0,62}$/;

/** Where the embedded database lives under BATON_HOME. */
export function defaultPGliteDir(batonHome: string): string {
  return path.join(batonHome, 'pglite');
}

async function openDialect(options: StoreOptions): Promise<Dialect> {
  if (options.databaseUrl) {
    await checkDatabaseConnection(options.databaseUrl);
    const pool = new pg.Pool({
      connectionString: options.databaseUrl,
      max: options.maxConnections ?? 10,
      // Every pooled connection resolves table names in the store's schema only.
      ...(options.schema && { options: `-c search_path=${options.schema}` }),
    });
    return new PostgresDialect({ pool });
  }
  if (options.dataDir) await mkdir(options.dataDir, { recursive: true });
  const db = options.dataDir ? new PGlite(options.dataDir) : new PGlite();
  return new PGliteDialect(db);
}

/** Opens the store and brings its schema up to date before anything else can query it. */
export async function openStore(options: StoreOptions = {}): Promise<Store> {
  if (options.schema !== undefined && !schemaName.test(options.schema)) {
    throw new TypeError(`store schema must match ${schemaName}: ${JSON.stringify(options.schema)}`);
  }
  // Driver errors carry the query's parameters (agent configs, session contents); none may reach a log.
  const db = new Kysely<Database>({ dialect: withStoreQueryErrors(await openDialect(options)) });
  try {
    await migrate(db, options.schema ? { schema: options.schema } : {});
  } catch (error) {
    await db.destroy();
    throw error;
  }
  const runFeed = options.databaseUrl ? createPostgresRunFeed({ databaseUrl: options.databaseUrl, channel: runChangeChannel(options.schema) }) : createLocalRunFeed();
  const webhooks = createWebhookRepository(db);
  // Whichever process records the settle (a worker, an API) fills the outbox in that same
  // statement, so every committed pause or end has its deliveries, whoever sends them.
  // Embedded PGlite belongs to this process alone, so every change to a definition goes through here.
  const definitions = options.databaseUrl ? null : countDefinitionChanges(createDefinitionRepository(db));
  return {
    definitions: definitions?.repository ?? createDefinitionRepository(db),
    definitionChanges: definitions?.changes ?? null,
    runs: createRunRepository(db, { feed: runFeed, settledOutbox: (snapshot, notice) => webhooks.settledOutbox(snapshot, notice) }),
    webhooks,
    runFeed,
    agents: createAgentRepository(db),
    projectSettings: createProjectSettingsRepository(db),
    sessions: createSessionMemory(db),
    backend: options.databaseUrl ? 'postgres' : 'pglite',
    async ping() {
      await sql`select 1`.execute(db);
    },
    async close() {
      await runFeed.close();
      await db.destroy();
    },
  };
}
