import { randomBytes } from 'node:crypto';
import os from 'node:os';
import path from 'node:path';
import { afterAll, describe, expect, inject, it } from 'vitest';
import { freePort } from '../../src/temporal/dev-server.ts';
import { isolatedEnv, killAllBatons, spawnBaton } from '../fixtures/baton-process.ts';
import { postgresUrl, uniqueSchema } from './store-backends.ts';

// `baton api` with one setting that leads nowhere and every other one valid: it stops with exit 1
// and a message that names the variable and what to check, and never prints the URL's password.
afterAll(() => killAllBatons());

async function batonApi(extra: NodeJS.ProcessEnv) {
  const baton = spawnBaton(['api'], isolatedEnv({
    PORT: String(await freePort()),
    BATON_HOME: path.join(os.tmpdir(), 'baton-connection-errors-unused'),
    TEMPORAL_ADDRESS: inject('temporalAddress'),
    TEMPORAL_NAMESPACE: inject('temporalNamespace'),
    DATABASE_URL: postgresUrl,
    BATON_DATABASE_SCHEMA: uniqueSchema(),
    ...extra,
  }));
  const exit = await baton.exited;
  return { code: exit.code, output: baton.output() };
}

describe('baton api with a DATABASE_URL it cannot use', () => {
  const password = `pw-${randomBytes(8).toString('hex')}`;
  const server = new URL(postgresUrl);
  it.each([
    ['a host that does not resolve', `postgres://bad:${password}@nohost.invalid/x`, 'postgres://bad:***@nohost.invalid/x', 'check the host in DATABASE_URL'],
    ['a port where nothing listens', `postgres://bad:${password}@127.0.0.1:1/x`, 'postgres://bad:***@127.0.0.1:1/x', 'check the host and port in DATABASE_URL and that the PostgreSQL server is running'],
    ['a database that does not exist', `postgres://${server.username}:${password}@${server.host}/baton_no_such_db`, `postgres://${server.username}:***@${server.host}/baton_no_such_db`, 'check the database name in DATABASE_URL'],
  ])('with %s, names DATABASE_URL and what to check, without the password', async (_label, databaseUrl, shown, check) => {
    const { code, output } = await batonApi({ DATABASE_URL: databaseUrl });
    expect(code, output).toBe(1);
    expect(output).toContain(`baton api failed: DATABASE_URL: cannot connect to PostgreSQL at ${shown} (`);
    expect(output).toContain(check);
    expect(output).not.toContain(password);
    expect(output).not.toContain('Press Ctrl-C to stop.');
  }, 60_000);
});

describe('baton api with a TEMPORAL_ADDRESS where no Temporal answers', () => {
  it('names TEMPORAL_ADDRESS, the address and what to check', async () => {
    const address = `127.0.0.1:${await freePort()}`;
    const { code, output } = await batonApi({ TEMPORAL_ADDRESS: address });
    expect(code, output).toBe(1);
    expect(output).toContain(`baton api failed: TEMPORAL_ADDRESS: cannot connect to Temporal at ${address} (`);
    expect(output).toContain('check the host and port in TEMPORAL_ADDRESS and that the Temporal server is running');
  }, 60_000);
});
