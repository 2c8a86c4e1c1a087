import { randomBytes } from 'node:crypto';
import { PGlite } from '@electric-sql/pglite';
import { Kysely, PostgresDialect } from 'kysely';
import pg from 'pg';
import type { Database } from '../../src/store/database.ts';
import { openStore, type Store } from '../../src/store/open-store.ts';
import { PGliteDialect } from '../../src/store/pglite-dialect.ts';

// The two real databases every store test runs on: embedded PGlite and the PostgreSQL server.

export const postgresUrl = process.env.BATON_TEST_DATABASE_URL ?? 'postgres://postgres@127.0.0.1:5432/test';

/** A schema name no other test run uses, so parallel runs never see each other's tables. */
export function uniqueSchema(): string {
  return `baton_test_${process.pid}_${randomBytes(4).toString('hex')}`;
}

export async function dropSchema(schema: string): Promise<void> {
  const client = new pg.Client({ connectionString: postgresUrl });
  await client.connect();
  try {
    await client.query(`drop schema if exists "${schema}" cascade`);
  } finally {
    await client.end();
  }
}

export interface Backend {
  name: 'pglite' | 'postgres';
  /** Opens a store on a fresh, empty database (a new schema for PostgreSQL). */
  openFresh: () => Promise<{ store: Store; dispose: () => Promise<void> }>;
  /** A bare Kysely on a fresh database, for migration tests. */
  rawFresh: () => Promise<{ db: Kysely<Database>; schema?: string; dispose: () => Promise<void> }>;
}

export const backends: Backend[] = [
  {
    name: 'pglite',
    async openFresh() {
      const store = await openStore();
      return { store, dispose: () => store.close() };
    },
    async rawFresh() {
      const db = new Kysely<Database>({ dialect: new PGliteDialect(new PGlite()) });
      return { db, dispose: () => db.destroy() };
    },
  },
  {
    name: 'postgres',
    async openFresh() {
      const schema = uniqueSchema();
      const store = await openStore({ databaseUrl: postgresUrl, schema });
      return {
        store,
        async dispose() {
          await store.close();
          await dropSchema(schema);
        },
      };
    },
    async rawFresh() {
      const schema = uniqueSchema();
      const pool = new pg.Pool({ connectionString: postgresUrl, options: `-c search_path=${schema}` });
      const db = new Kysely<Database>({ dialect: new PostgresDialect({ pool }) });
      return {
        db,
        schema,
        async dispose() {
          await db.destroy();
          await dropSchema(schema);
        },
      };
    },
  },
];

/** A project name of its own per test, so tests sharing a store never see each other's rows. */
export function uniqueProject(): string {
  return `p-${randomBytes(5).toString('hex')}`;
}
