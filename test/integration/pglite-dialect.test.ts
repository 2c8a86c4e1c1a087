// The embedded store's dialect runs each repeated query text as a named statement (planned once);
// what comes back must be what PGlite's own query() answers, errors included.
import { PGlite } from '@electric-sql/pglite';
import { Kysely, sql } from 'kysely';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { maxNamedStatements, PGliteDialect } from '../../src/store/pglite-dialect.ts';

interface Tables {
  items: { id: string; body: unknown; n: number; at: Date };
}

describe('the PGlite dialect', () => {
  let pglite: PGlite;
  let db: Kysely<Tables>;
  beforeAll(async () => {
    pglite = new PGlite();
    db = new Kysely<Tables>({ dialect: new PGliteDialect(pglite) });
    await sql`create table items (id text primary key, body jsonb, n int not null, at timestamptz not null)`.execute(db);
  });
  afterAll(() => db.destroy());

  const namedStatements = async () => (await pglite.query<{ count: number }>(`select count(*)::int as count from pg_prepared_statements where name like 'baton_%'`)).rows[0]!.count;

  it('answers a repeated query as PGlite\'s query() does, from one named statement', async () => {
    const at = new Date('2026-01-02T03:04:05.678Z');
    for (const [id, n] of [['a', 1], ['b', 2], ['c', 3]] as const) {
      await db.insertInto('items').values({ id, body: JSON.stringify({ id, tags: [n, 'x'], nested: { ok: true } }), n, at }).execute();
    }
    const select = (min: number) => db.selectFrom('items').selectAll().where('n', '>=', min).orderBy('id').execute();
    const rows = await select(2);
    const direct = await pglite.query('select * from items where n >= $1 order by id', [2]);
    expect(rows).toEqual(direct.rows);
    expect(rows.map((row) => row.body)).toEqual([{ id: 'b', tags: [2, 'x'], nested: { ok: true } }, { id: 'c', tags: [3, 'x'], nested: { ok: true } }]);
    expect(rows[0]!.at).toEqual(at);
    const before = await namedStatements();
    expect(before).toBeGreaterThan(0);
    expect(await select(3)).toEqual([expect.objectContaining({ id: 'c' })]);
    expect(await select(9)).toEqual([]);
    expect(await namedStatements()).toBe(before);
    const updated = await db.updateTable('items').set({ n: 5 }).where('n', '>=', 2).executeTakeFirst();
    expect(updated.numUpdatedRows).toBe(2n);
    await db.updateTable('items').set({ n: 6 }).where('n', '>=', 5).execute();
    expect((await db.selectFrom('items').select('n').where('id', '=', 'b').executeTakeFirstOrThrow()).n).toBe(6);
  });

  it('throws PostgreSQL\'s error for a refused value or text, and the same statements go on working', async () => {
    const insert = (id: string) => db.insertInto('items').values({ id, body: null, n: 1, at: new Date() }).execute();
    await insert('dup');
    await expect(insert('dup')).rejects.toMatchObject({ code: '23505' });
    await expect(sql`select * from no_such_table where id = ${'x'}`.execute(db)).rejects.toMatchObject({ code: '42P01' });
    await expect(db.insertInto('items').values({ id: 'bad', body: '{not json', n: 1, at: new Date() }).execute()).rejects.toMatchObject({ code: '22P02' });
    await insert('after');
    expect((await db.selectFrom('items').select('id').where('id', 'in', ['dup', 'after', 'bad']).orderBy('id').execute()).map((row) => row.id)).toEqual(['after', 'dup']);
  });

  it('keeps a transaction\'s statements in it: a rollback undoes them', async () => {
    await expect(db.transaction().execute(async (trx) => {
      await trx.insertInto('items').values({ id: 'in-trx', body: null, n: 1, at: new Date() }).execute();
      expect(await trx.selectFrom('items').select('id').where('id', '=', 'in-trx').executeTakeFirst()).toEqual({ id: 'in-trx' });
      throw new Error('roll back');
    })).rejects.toThrow('roll back');
    expect(await db.selectFrom('items').select('id').where('id', '=', 'in-trx').executeTakeFirst()).toBeUndefined();
  });

  it('runs query texts past its named statements unnamed, with the same answers', async () => {
    // Each text differs (its own IN list length), as list filters of many shapes would.
    for (let size = 1; size <= maxNamedStatements; size++) {
      await db.selectFrom('items').select('id').where('id', 'in', Array.from({ length: size }, (_, i) => `k${i}`)).execute();
    }
    expect(await namedStatements()).toBe(maxNamedStatements);
    const past = await db.selectFrom('items').select(['id', 'n']).where('id', 'in', [...Array.from({ length: 400 }, (_, i) => `z${i}`), 'dup']).execute();
    expect(past).toEqual([{ id: 'dup', n: 1 }]);
    expect(await namedStatements()).toBe(maxNamedStatements);
  });
});
