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

/** A real store failure on PostgreSQL: the first `count` inserts into `table` whose `column` equals `value` raise. */
export interface FlakyInserts {
  /** Inserts tried so far for that value (refused and landed). */
  attempts(): Promise<number>;
  remove(): Promise<void>;
}

export async function failFirstInserts(schema: string, table: 'runs' | 'session_entries', column: 'project' | 'session_id', value: string, count: number): Promise<FlakyInserts> {
  const admin = new pg.Client({ connectionString: postgresUrl });
  await admin.connect();
  const name = `flaky_${table}`;
  try {
    await admin.query(`CREATE SEQUENCE ${schema}.${name}_attempts`);
    await admin.query(`CREATE FUNCTION ${schema}.${name}() RETURNS trigger LANGUAGE plpgsql AS $$
      BEGIN
        IF NEW.${column} = ${admin.escapeLiteral(value)} AND nextval('${schema}.${name}_attempts') <= ${count} THEN RAISE EXCEPTION 'the store is down for a moment'; END IF;
        RETURN NEW;
      END $$`);
    await admin.query(`CREATE TRIGGER ${name} BEFORE INSERT ON ${schema}.${table} FOR EACH ROW EXECUTE FUNCTION ${schema}.${name}()`);
  } catch (error) {
    await admin.end();
    throw error;
  }
  return {
    attempts: async () => Number((await admin.query<{ last_value: string }>(`SELECT last_value FROM ${schema}.${name}_attempts`)).rows[0]!.last_value),
    async remove() {
      try {
        // All of it, so the next test in the same schema can make its own.
        await admin.query(`DROP TRIGGER IF EXISTS ${name} ON ${schema}.${table}`);
        await admin.query(`DROP FUNCTION IF EXISTS ${schema}.${name}()`);
        await admin.query(`DROP SEQUENCE IF EXISTS ${schema}.${name}_attempts`);
      } finally {
        await admin.end();
      }
    },
  };
}
