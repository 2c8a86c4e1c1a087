import { mkdtemp, readFile, rm } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import pg from 'pg';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import type { DevServerRecord } from '../../src/temporal/dev-server-pid-file.ts';
import { freePort } from '../../src/temporal/dev-server.ts';
import { exitWithin, isolatedEnv, killAllBatons, spawnBaton, type BatonProcess } from '../fixtures/baton-process.ts';
import { processIsGone, waitUntilGone } from '../fixtures/process-state.ts';
import { postgresUrl, uniqueSchema } from './store-backends.ts';

let root: string;
beforeAll(async () => { root = await mkdtemp(path.join(os.tmpdir(), 'baton-start-faults-')); });
afterAll(async () => {
  killAllBatons();
  await rm(root, { recursive: true, force: true });
});

/** A BATON_HOME and ports of its own; every start of one test uses the same. */
async function installation(name: string, extra: NodeJS.ProcessEnv = {}) {
  const env = isolatedEnv({
    BATON_HOME: path.join(root, name),
    PORT: String(await freePort()),
    BATON_TEMPORAL_PORT: String(await freePort()),
    BATON_TEMPORAL_UI_PORT: String(await freePort()),
    TEMPORAL_CLI_PATH: inject('temporalCliPath'),
    ...extra,
  });
  const api = `http://127.0.0.1:${env.PORT}`;
  const start = async (): Promise<BatonProcess> => {
    const baton = spawnBaton(['start'], env);
    await baton.ready();
    return baton;
  };
  const record = async () => JSON.parse(await readFile(path.join(env.BATON_HOME!, 'temporal-dev-server.pid'), 'utf8')) as DevServerRecord;
  const call = async (method: string, url: string, body?: unknown) => {
    const response = await fetch(`${api}${url}`, { method, headers: { 'content-type': 'application/json' }, body: body === undefined ? undefined : JSON.stringify(body) });
    return { status: response.status, json: (await response.json()) as { run_id: string; output: { status: string; result: unknown } } };
  };
  return { env, api, start, record, call };
}

const leadStart = { input: { task: 'Route this lead to the right team', state: { leadId: 'lead-123' } } };
const approve = { input: { resume: { step: 'approval', input: 'approve' } } };

describe('baton start after being killed with SIGKILL', () => {
  it('takes its dev server down with it, and the next start on the same ports resumes the paused run', async () => {
    const install = await installation('watchdog');
    const first = await install.start();
    const paused = await install.call('POST', '/v1/agents/lead-router/workflow', leadStart);
    expect(paused.json.output.status, first.output()).toBe('paused');
    const pid = Number(/Temporal dev server running \(pid (\d+)\)/.exec(first.output())?.[1]);

    first.child.kill('SIGKILL');
    await first.exited;
    expect(await waitUntilGone(pid, 30_000)).toBe(true);

    const second = await install.start();
    try {
      expect(second.output()).not.toContain('already in use');
      const resumed = await install.call('POST', `/v1/workflow-runs/${paused.json.run_id}/resume`, approve);
      expect(resumed.status).toBe(200);
      expect(resumed.json.output).toMatchObject({ status: 'completed', result: { routedTo: 'enterprise-sales', leadId: 'lead-123' } });
    } finally {
      second.child.kill('SIGTERM');
      await second.exited;
    }
  }, 300_000);

  it('stops the dev server it left running (found through the pid file) before starting its own', async () => {
    const install = await installation('pid-file');
    const first = await install.start();
    const paused = await install.call('POST', '/v1/agents/lead-router/workflow', leadStart);
    expect(paused.json.output.status, first.output()).toBe('paused');
    const left = await install.record();
    expect(left).toMatchObject({ ownerPid: first.child.pid, port: Number(install.env.BATON_TEMPORAL_PORT) });

    // Without its watchdog too (killed as well, or never started), the server outlives baton.
    process.kill(left.watchdogPid!, 'SIGKILL');
    first.child.kill('SIGKILL');
    await first.exited;
    expect(await processIsGone(left.pid)).toBe(false);

    const second = await install.start();
    try {
      expect(second.output()).toContain(`stopping the Temporal dev server (pid ${left.pid}, port ${left.port}) that an earlier start left running`);
      expect(await processIsGone(left.pid)).toBe(true);
      expect((await install.record()).pid).not.toBe(left.pid);
      const resumed = await install.call('POST', `/v1/workflow-runs/${paused.json.run_id}/resume`, approve);
      expect(resumed.json.output.status).toBe('completed');
    } finally {
      second.child.kill('SIGTERM');
      await second.exited;
    }
  }, 300_000);
});

describe('baton start stopping gracefully', () => {
  it('exits after the shutdown grace even while an activity never finishes, and stops its dev server', async () => {
    // A PostgreSQL store whose session table the test locks: the agent activity's first query waits
    // on the lock and never sees its cancellation, like any activity stuck in I/O.
    const schema = uniqueSchema();
    const install = await installation('graceful', { DATABASE_URL: postgresUrl, BATON_DATABASE_SCHEMA: schema, BATON_SHUTDOWN_GRACE_MS: '1000' });
    const locker = new pg.Client({ connectionString: postgresUrl });
    await locker.connect();
    try {
      const baton = await install.start();
      const devServerPid = Number(/Temporal dev server running \(pid (\d+)\)/.exec(baton.output())?.[1]);
      await locker.query('begin');
      await locker.query(`lock table "${schema}".session_entries in access exclusive mode`);
      const started = await install.call('POST', '/v1/agents/lead-router/workflow?waitMs=0', leadStart);
      expect(started.status).toBe(200);
      await expect.poll(async () => {
        const waiting = await locker.query(
          `select count(*)::int as n from pg_locks l join pg_class c on c.oid = l.relation join pg_namespace n on n.oid = c.relnamespace
           where n.nspname = $1 and c.relname = 'session_entries' and not l.granted`, [schema]);
        return (waiting.rows[0] as { n: number }).n;
      }, { timeout: 60_000, interval: 250 }).toBeGreaterThan(0);

      baton.child.kill('SIGTERM');
      const exit = await exitWithin(baton, 90_000);
      expect(exit, baton.output()).not.toBe('still running');
      expect(baton.output()).toContain('activities still running 1000 ms (BATON_SHUTDOWN_GRACE_MS) after the stop began were abandoned');
      expect(await waitUntilGone(devServerPid, 10_000)).toBe(true);
      await expect(fetch(`${install.api}/healthz`)).rejects.toThrow();
    } finally {
      await locker.query('rollback').catch(() => {});
      await locker.query(`drop schema if exists "${schema}" cascade`).catch(() => {});
      await locker.end();
    }
  }, 300_000);
});
