import { mkdtemp, rm } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import pg from 'pg';
import { describe, expect, it } from 'vitest';
import { migrate, readMigrations } from '../../src/store/migrate.ts';
import { openStore } from '../../src/store/open-store.ts';
import { backends, dropSchema, postgresUrl, uniqueSchema } from './store-backends.ts';

describe.each(backends)('migrations on $name', (backend) => {
  it('applies every migration once and a second run is a no-op', async () => {
    const { db, schema, dispose } = await backend.rawFresh();
    try {
      const all = (await readMigrations()).map((m) => m.name);
      expect(all[0]).toMatch(/^0001_/);
      expect(await migrate(db, schema ? { schema } : {})).toEqual(all);
      expect(await migrate(db, schema ? { schema } : {})).toEqual([]);
      const recorded = await db.selectFrom('baton_migrations').select('name').orderBy('name').execute();
      expect(recorded.map((r) => r.name)).toEqual(all);
    } finally {
      await dispose();
    }
  });
});

describe('store lifecycle', () => {
  it('keeps PGlite data across close and reopen of the same directory', async () => {
    const dataDir = await mkdtemp(path.join(os.tmpdir(), 'baton-store-'));
    try {
      const first = await openStore({ dataDir: path.join(dataDir, 'pglite') });
      const created = await first.definitions.create('default', { name: 'durable' });
      await first.definitions.addStep('default', created.id, { agentId: 'a', action: 'b' });
      await first.agents.create('default', { id: 'hook', kind: 'http', config: { url: 'https://h.example.com' } });
      await first.close();

      const second = await openStore({ dataDir: path.join(dataDir, 'pglite') });
      expect(second.backend).toBe('pglite');
      expect(await second.definitions.get('default', created.id)).toMatchObject({ name: 'durable', version: 2, steps: [{ agentId: 'a' }] });
      expect((await second.agents.list('default')).map((a) => a.id)).toEqual(['hook']);
      await second.close();
    } finally {
      await rm(dataDir, { recursive: true, force: true });
    }
  });

  it('lets several processes open the same PostgreSQL schema at once and migrates it exactly once', async () => {
    const schema = uniqueSchema();
    try {
      const stores = await Promise.all([0, 1, 2].map(() => openStore({ databaseUrl: postgresUrl, schema, maxConnections: 2 })));
      const created = await stores[0]!.definitions.create('default', { name: 'shared' });
      expect((await stores[2]!.definitions.get('default', created.id)).name).toBe('shared');
      await Promise.all(stores.map((store) => store.close()));

      const client = new pg.Client({ connectionString: postgresUrl });
      await client.connect();
      try {
        const { rows } = await client.query<{ name: string }>(`select name from "${schema}".baton_migrations order by name`);
        expect(rows.map((r) => r.name)).toEqual((await readMigrations()).map((m) => m.name));
        const inPublic = await client.query(`select 1 from information_schema.tables where table_schema = 'public' and table_name = 'definitions'`);
        expect(inPublic.rowCount).toBe(0);
      } finally {
        await client.end();
      }
    } finally {
      await dropSchema(schema);
    }
  });

  it('refuses a schema name that is not a plain identifier, and a database it cannot reach', async () => {
    await expect(openStore({ databaseUrl: postgresUrl, schema: 'x"; drop table y; --' })).rejects.toThrow(/schema/);
    await expect(openStore({ databaseUrl: 'postgres://postgres@127.0.0.1:1/test' })).rejects.toThrow();
  });
});
