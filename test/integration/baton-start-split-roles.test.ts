import { spawn } from 'node:child_process';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, inject, it } from 'vitest';
import pg from 'pg';
import { freePort } from '../../src/temporal/dev-server.ts';
import { postgresUrl } from './store-backends.ts';

const repoRoot = fileURLToPath(new URL('../..', import.meta.url));

/** `baton <role>` as a child process; `ready` resolves once it printed its banner. */
function spawnRole(args: string[], env: NodeJS.ProcessEnv) {
  const child = spawn(process.execPath, [path.join(repoRoot, 'src/cli/baton.ts'), ...args], { cwd: repoRoot, env, stdio: ['ignore', 'pipe', 'pipe'] });
  let output = '';
  child.stdout.on('data', (chunk: Buffer) => { output += chunk.toString(); });
  child.stderr.on('data', (chunk: Buffer) => { output += chunk.toString(); });
  const exited = new Promise<number | null>((resolve) => child.on('exit', (code) => resolve(code)));
  const ready = async () => {
    let gone = false;
    void exited.then(() => { gone = true; });
    const deadline = Date.now() + 60_000;
    while (!output.includes('Press Ctrl-C to stop.')) {
      if (gone || Date.now() > deadline) throw new Error(`baton ${args.join(' ')} did not come up:\n${output}`);
      await new Promise((resolve) => setTimeout(resolve, 100));
    }
  };
  return { child, exited, ready, output: () => output };
}

function roleEnv(extra: NodeJS.ProcessEnv): NodeJS.ProcessEnv {
  const env: NodeJS.ProcessEnv = { ...process.env, BATON_HOME: path.join(os.tmpdir(), 'baton-split-roles-unused'), ...extra };
  for (const name of ['DATABASE_URL', 'BATON_API_KEYS', 'HOST']) if (!(name in extra)) delete env[name];
  return env;
}

describe('baton api and baton worker against TEMPORAL_ADDRESS', () => {
  it('serve together: the API is ready once the worker polls, and both stop on SIGTERM', async () => {
    const taskQueue = `split-roles-${Date.now()}`;
    const port = await freePort();
    // The roles share one PostgreSQL store; a schema of its own keeps this test apart from others.
    const schema = `split_roles_${Date.now()}`;
    const shared = { TEMPORAL_ADDRESS: inject('temporalAddress'), TEMPORAL_NAMESPACE: inject('temporalNamespace'), BATON_TASK_QUEUE: taskQueue, DATABASE_URL: postgresUrl, BATON_DATABASE_SCHEMA: schema };
    const api = spawnRole(['api'], roleEnv({ ...shared, PORT: String(port) }));
    const worker = spawnRole(['worker'], roleEnv(shared));
    try {
      await Promise.all([api.ready(), worker.ready()]);
      expect(api.output()).toContain(`API          http://127.0.0.1:${port}`);
      expect(worker.output()).toContain('Baton worker is running');
      expect(worker.output()).not.toContain('API ');
      await expect.poll(async () => (await fetch(`http://127.0.0.1:${port}/readyz`)).status, { timeout: 20_000, interval: 250 }).toBe(200);

      worker.child.kill('SIGTERM');
      api.child.kill('SIGTERM');
      expect(await worker.exited, worker.output()).toBe(0);
      expect(await api.exited, api.output()).toBe(0);
    } finally {
      api.child.kill('SIGKILL');
      worker.child.kill('SIGKILL');
      const admin = new pg.Client({ connectionString: postgresUrl });
      await admin.connect();
      await admin.query(`DROP SCHEMA IF EXISTS ${schema} CASCADE`);
      await admin.end();
    }
  }, 120_000);

  it.each(['api', 'worker'])('baton %s refuses to run without DATABASE_URL', async (role) => {
    const run = spawnRole([role], roleEnv({ TEMPORAL_ADDRESS: inject('temporalAddress'), PORT: String(await freePort()) }));
    expect(await run.exited).toBe(1);
    expect(run.output()).toContain(`baton ${role} needs DATABASE_URL`);
  });

  it.each(['api', 'worker'])('baton %s refuses to run without TEMPORAL_ADDRESS', async (role) => {
    const run = spawnRole([role], roleEnv({ TEMPORAL_ADDRESS: '', PORT: String(await freePort()) }));
    expect(await run.exited).toBe(1);
    expect(run.output()).toContain(`baton ${role} needs TEMPORAL_ADDRESS (only baton start runs an embedded Temporal dev server)`);
  });

  it('rejects arguments it does not take, and unknown commands', async () => {
    const extra = spawnRole(['worker', '--fast'], roleEnv({}));
    expect(await extra.exited).toBe(2);
    expect(extra.output()).toContain('baton worker takes no arguments');
    const unknown = spawnRole(['launch'], roleEnv({}));
    expect(await unknown.exited).toBe(2);
    expect(unknown.output()).toContain('baton: unknown command "launch"');
    expect(unknown.output()).toContain('usage: baton <command>');
  });
});
