import { PGlite } from '@electric-sql/pglite';
import { Kysely, sql } from 'kysely';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Database } from '../../src/store/database.ts';
import { migrate } from '../../src/store/migrate.ts';
import { PGliteDialect } from '../../src/store/pglite-dialect.ts';
import { prepareQuery } from '../../src/store/prepared-query.ts';

describe('prepareQuery', () => {
  let db: Kysely<Database>;
  beforeAll(async () => {
    db = new Kysely<Database>({ dialect: new PGliteDialect(new PGlite()) });
    await migrate(db);
  });
  afterAll(() => db.destroy());

  it('runs each call with its own values, and builds the query only once', async () => {
    let builds = 0;
    const insert = prepareQuery(db, (p: { name: string; at: string }) => {
      builds += 1;
      return db.insertInto('baton_jobs').values({ name: p.name, done_at: p.at }).onConflict((oc) => oc.column('name').doNothing());
    });
    const select = prepareQuery(db, (p: { name: string }) => db.selectFrom('baton_jobs').select('name').where('name', '=', p.name));
    await insert.execute({ name: 'job-a', at: '2026-01-01T00:00:00Z' });
    await insert.execute({ name: 'job-b', at: '2026-01-02T00:00:00Z' });
    expect(builds).toBe(1);
    expect((await select.execute({ name: 'job-b' })).rows).toEqual([{ name: 'job-b' }]);
    expect((await select.execute({ name: 'job-c' })).rows).toEqual([]);
  });

  it('binds its values where it is embedded, after the enclosing statement\'s own parameters', async () => {
    const insert = prepareQuery(db, (p: { name: string; at: string }) => db.insertInto('baton_jobs').values({ name: p.name, done_at: p.at }).returning('name'));
    const { rows } = await sql<{ tag: string; name: string }>`with tagged as (select ${'first'}::text as tag), added as (${insert.fragment({ name: 'job-d', at: '2026-01-03T00:00:00Z' })}) select (select tag from tagged) as tag, (select name from added) as name`.execute(db);
    expect(rows).toEqual([{ tag: 'first', name: 'job-d' }]);
  });
});
