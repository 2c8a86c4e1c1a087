import { readdir, readFile } from 'node:fs/promises';
import { sql, type Kysely } from 'kysely';
import type { Database } from './database.ts';

const migrationsDir = new URL('./migrations/', import.meta.url);
const migrationFile = /^\d{4}_[a-z0-9_]+\.sql$/;
// Any fixed number works: it only has to be the same in every process that migrates this database.
const migrationLockKey = 7_140_318_204;

export interface Migration {
  name: string;
  sql: string;
}

/** The checked-in migrations, in the order their numeric prefixes give. */
export async function readMigrations(): Promise<Migration[]> {
  const names = (await readdir(migrationsDir)).filter((name) => migrationFile.test(name)).sort();
  return Promise.all(names.map(async (name) => ({ name, sql: await readFile(new URL(name, migrationsDir), 'utf8') })));
}

/**
 * Applies the migrations not yet recorded in baton_migrations, all in one transaction that holds
 * an advisory lock, so two processes opening the same database at once apply each exactly once.
 * Returns the names it applied (empty when the database was already current).
 */
export async function migrate(db: Kysely<Database>, options: { schema?: string } = {}): Promise<string[]> {
  const migrations = await readMigrations();
  return db.transaction().execute(async (trx) => {
    await sql`select pg_advisory_xact_lock(${migrationLockKey})`.execute(trx);
    if (options.schema) await sql`create schema if not exists ${sql.id(options.schema)}`.execute(trx);
    await sql`create table if not exists baton_migrations (
      name text primary key,
      applied_at timestamptz not null
    )`.execute(trx);
    const applied = new Set((await trx.selectFrom('baton_migrations').select('name').execute()).map((row) => row.name));
    const pending = migrations.filter((migration) => !applied.has(migration.name));
    for (const migration of pending) {
      await sql.raw(migration.sql).execute(trx);
      await trx.insertInto('baton_migrations').values({ name: migration.name, applied_at: new Date() }).execute();
    }
    return pending.map((migration) => migration.name);
  });
}
