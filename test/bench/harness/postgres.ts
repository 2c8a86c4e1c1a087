// Dedicated bench databases on the local PostgreSQL, dropped and recreated so every run starts empty.
import pg from 'pg';

export const benchPostgresServer = (process.env.BENCH_POSTGRES_URL ?? 'postgres://postgres@127.0.0.1:5432').replace(/\/+$/, '');

/** Recreates `database` (it must be a bench-only name) and returns its URL. */
export async function recreateDatabase(database: string, serverUrl = benchPostgresServer): Promise<string> {
  if (!/^baton_bench_[a-z0-9_]+$/.test(database)) throw new Error(`refusing to recreate ${database}: not a baton_bench_ database`);
  const client = new pg.Client({ connectionString: `${serverUrl}/postgres` });
  await client.connect();
  try {
    await client.query(`DROP DATABASE IF EXISTS ${database} WITH (FORCE)`);
    await client.query(`CREATE DATABASE ${database}`);
  } finally {
    await client.end();
  }
  return `${serverUrl}/${database}`;
}
