import { randomBytes } from 'node:crypto';
import os from 'node:os';
import path from 'node:path';
import pg from 'pg';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import { openStore } from '../../src/store/open-store.ts';
import { freePort } from '../../src/temporal/dev-server.ts';
import { isolatedEnv, killAllBatons, spawnBaton, type BatonProcess } from '../fixtures/baton-process.ts';
import { dropSchema, postgresUrl, uniqueSchema } from './store-backends.ts';

// One `baton api` bound to every interface, on a PostgreSQL store where an operator's constraint
// refuses one agent id: what it prints at start, and what it logs when that insert fails.
const schema = uniqueSchema();
const marker = `secret-marker-${randomBytes(8).toString('hex')}`;
let port: number;
let baton: BatonProcess;

beforeAll(async () => {
  const store = await openStore({ databaseUrl: postgresUrl, schema });
  await store.close();
  const admin = new pg.Client({ connectionString: postgresUrl });
  await admin.connect();
  try {
    await admin.query(`alter table "${schema}".agents add constraint agents_refused_id check (id <> 'refused-agent')`);
  } finally {
    await admin.end();
  }
  port = await freePort('0.0.0.0');
  baton = spawnBaton(['api'], isolatedEnv({
    HOST: '0.0.0.0',
    PORT: String(port),
    BATON_HOME: path.join(os.tmpdir(), 'baton-api-banner-unused'),
    TEMPORAL_ADDRESS: inject('temporalAddress'),
    TEMPORAL_NAMESPACE: inject('temporalNamespace'),
    DATABASE_URL: postgresUrl,
    BATON_DATABASE_SCHEMA: schema,
  }));
  await baton.ready();
});
afterAll(async () => {
  killAllBatons();
  await baton?.exited;
  await dropSchema(schema);
});

describe('baton api with HOST=0.0.0.0', () => {
  it('says it listens on all interfaces and prints a URL that reaches it', async () => {
    expect(baton.bannerField('Listening'), baton.output()).toMatch(new RegExp(`^0\\.0\\.0\\.0:${port}, all interfaces`));
    const api = baton.bannerField('API');
    expect(api).toBe(`http://127.0.0.1:${port}`);
    expect((await fetch(`${api}/healthz`)).status).toBe(200);
  });
});

describe('a failed insert', () => {
  it('is logged with its SQLSTATE and constraint, never with the agent config it carried', async () => {
    const response = await fetch(`http://127.0.0.1:${port}/api/v1/agents`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ id: 'refused-agent', kind: 'http', config: { url: `https://agents.example/${marker}`, headers: { 'x-team': marker } } }),
    });
    expect(response.status).toBe(500);
    expect(await response.text()).not.toContain(marker);
    const failure = () => baton.output().split('\n').filter((line) => line.startsWith('{')).map((line) => JSON.parse(line) as { level: string; msg: string; reqId?: string })
      .find((entry) => entry.msg.startsWith('POST /api/v1/agents failed: StoreQueryError'));
    await expect.poll(failure, { timeout: 5000 }).toBeDefined();
    expect(failure()).toMatchObject({ level: 'error', reqId: response.headers.get('x-request-id') });
    expect(failure()!.msg).toContain('violates check constraint "agents_refused_id" (SQLSTATE 23514)');
    expect(baton.output()).not.toContain(marker);
  });
});
