import { randomBytes } from 'node:crypto';
import { mkdtemp, rm } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { inspect } from 'node:util';
import { PGlite } from '@electric-sql/pglite';
import pg from 'pg';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { StoreQueryError, toStoreQueryError } from '../../src/store/database-errors.ts';
import { openStore, type Store } from '../../src/store/open-store.ts';
import { dropSchema, postgresUrl, uniqueSchema } from './store-backends.ts';

// Both databases, each with a constraint (as an operator might add) that refuses one agent id,
// so an insert carrying an agent config fails inside the database.
const refuse = (table: string) => `alter table ${table} add constraint agents_refused_id check (id <> 'refused-agent')`;

const databases: Array<{ name: string; open: () => Promise<{ store: Store; dispose: () => Promise<void> }> }> = [
  {
    name: 'pglite',
    async open() {
      const dataDir = await mkdtemp(path.join(os.tmpdir(), 'baton-database-errors-'));
      const migrated = await openStore({ dataDir });
      await migrated.close();
      const raw = new PGlite(dataDir);
      await raw.exec(refuse('agents'));
      await raw.close();
      const store = await openStore({ dataDir });
      return { store, dispose: async () => { await store.close(); await rm(dataDir, { recursive: true, force: true }); } };
    },
  },
  {
    name: 'postgres',
    async open() {
      const schema = uniqueSchema();
      const store = await openStore({ databaseUrl: postgresUrl, schema });
      const admin = new pg.Client({ connectionString: postgresUrl });
      await admin.connect();
      await admin.query(refuse(`"${schema}".agents`)).finally(() => admin.end());
      return { store, dispose: async () => { await store.close(); await dropSchema(schema); } };
    },
  },
];

describe.each(databases)('a failed query on $name', ({ open }) => {
  let store: Store;
  let dispose: () => Promise<void>;
  beforeAll(async () => ({ store, dispose } = await open()));
  afterAll(async () => dispose?.());

  it('throws a StoreQueryError naming the SQLSTATE and constraint, with nothing of the row in it', async () => {
    const marker = `marker-${randomBytes(8).toString('hex')}`;
    const error = await store.agents
      .create('default', { id: 'refused-agent', kind: 'http', config: { url: `https://agents.example/${marker}`, headers: { authorization: marker } } })
      .then(() => undefined, (e: unknown) => e);
    expect(error).toBeInstanceOf(StoreQueryError);
    expect(error).toMatchObject({ code: '23514', constraint: 'agents_refused_id' });
    expect((error as Error).message).toContain('violates check constraint "agents_refused_id" (SQLSTATE 23514)');
    // However it is printed: console.error, a logger's inspect, JSON, the stack.
    expect(inspect(error, { depth: 10, showHidden: true })).not.toContain(marker);
    expect(JSON.stringify(error)).not.toContain(marker);
    expect(String((error as Error).stack)).not.toContain(marker);
  });

  it('still lets a duplicate id be answered as a conflict', async () => {
    await store.agents.create('default', { id: 'twice', kind: 'http', config: { url: 'https://agents.example/twice' } });
    await expect(store.agents.create('default', { id: 'twice', kind: 'http', config: { url: 'https://agents.example/twice' } })).rejects.toMatchObject({ code: 'conflict' });
  });
});

describe('toStoreQueryError', () => {
  it('hides the value a data exception quotes, and keeps a connection error\'s code', () => {
    const invalid = toStoreQueryError(Object.assign(new Error('invalid input syntax for type integer: "sk-live-123"'), { code: '22P02', detail: 'x', params: ['sk-live-123'] }));
    expect(invalid.message).toBe('invalid input syntax for type integer: "…" (SQLSTATE 22P02)');
    expect(inspect(invalid, { showHidden: true })).not.toContain('sk-live-123');
    const refused = toStoreQueryError(Object.assign(new Error('connect ECONNREFUSED 127.0.0.1:5432'), { code: 'ECONNREFUSED' }));
    expect(refused).toMatchObject({ code: 'ECONNREFUSED', message: 'connect ECONNREFUSED 127.0.0.1:5432' });
  });
});
