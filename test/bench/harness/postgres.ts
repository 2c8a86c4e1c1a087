// Dedicated bench databases on the local PostgreSQL, dropped and recreated so every run starts empty.
import pg from 'pg';
import { readCpuMs } from '../cpu.ts';

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

/**
 * CPU the PostgreSQL backends serving `database` have used since the meter was created (ms), read
 * from /proc, so a bench can count the store's share of a cycle (the server must run on this
 * machine). Per backend: a connection opened later counts from its start, one that closed keeps
 * what was counted for it; the server's shared processes (WAL writer, checkpointer) are not counted.
 */
export async function createPostgresCpuMeter(database: string, serverUrl = benchPostgresServer): Promise<{ read(): Promise<number>; close(): Promise<void> }> {
  const client = new pg.Client({ connectionString: `${serverUrl}/postgres` });
  await client.connect();
  const seen = new Map<number, number>();
  let total = 0;
  const sample = async () => {
    const { rows } = await client.query<{ pid: number }>('select pid from pg_stat_activity where datname = $1', [database]);
    for (const { pid } of rows) {
      const cpu = await readCpuMs(pid);
      if (cpu === null) continue; // exited between the query and the read
      total += cpu - (seen.get(pid) ?? 0);
      seen.set(pid, cpu);
    }
  };
  // The backends already open start the meter at zero: what they did before is no one's cycle.
  const { rows } = await client.query<{ pid: number }>('select pid from pg_stat_activity where datname = $1', [database]);
  for (const { pid } of rows) seen.set(pid, (await readCpuMs(pid)) ?? 0);
  return {
    async read() {
      await sample();
      return total;
    },
    close: () => client.end(),
  };
}
