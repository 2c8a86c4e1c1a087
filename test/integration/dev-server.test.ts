import { chmod, mkdtemp, readFile, rm, stat, writeFile } from 'node:fs/promises';
import net from 'node:net';
import os from 'node:os';
import path from 'node:path';
import { Client, Connection } from '@temporalio/client';
import { msToTs } from '@temporalio/common/lib/time.js';
import proto from '@temporalio/proto';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import { DevServerError, freePort, startDevServer } from '../../src/temporal/dev-server.ts';
import { registerSearchAttributes } from '../../src/temporal/register-search-attributes.ts';
import { batonSearchAttributes } from '../../src/temporal/search-attributes.ts';
import { processIsGone } from '../fixtures/process-state.ts';

let dir: string;
beforeAll(async () => { dir = await mkdtemp(path.join(os.tmpdir(), 'baton-dev-server-test-')); });
afterAll(async () => { await rm(dir, { recursive: true, force: true }); });

async function script(name: string, body: string): Promise<string> {
  const file = path.join(dir, name);
  await writeFile(file, `#!/bin/sh\n${body}\n`);
  await chmod(file, 0o755);
  return file;
}

async function rejection(promise: Promise<unknown>): Promise<DevServerError> {
  const error = await promise.then(() => undefined, (e: unknown) => e);
  expect(error).toBeInstanceOf(DevServerError);
  return error as DevServerError;
}

describe('startDevServer', () => {
  it('refuses a gRPC port that is already in use, naming it', async () => {
    const holder = net.createServer();
    await new Promise<void>((resolve) => holder.listen(0, '127.0.0.1', resolve));
    const port = (holder.address() as net.AddressInfo).port;
    try {
      const error = await rejection(startDevServer({ cliPath: inject('temporalCliPath'), dbFile: path.join(dir, 'busy.sqlite'), port, uiPort: await freePort() }));
      expect(error.message).toBe(`port ${port} (Temporal gRPC) on 127.0.0.1 is already in use: stop what holds it or choose another port`);
    } finally {
      await new Promise((resolve) => holder.close(resolve));
    }
  });

  it('refuses a UI port that is already in use unless headless', async () => {
    const holder = net.createServer();
    await new Promise<void>((resolve) => holder.listen(0, '127.0.0.1', resolve));
    const uiPort = (holder.address() as net.AddressInfo).port;
    try {
      const error = await rejection(startDevServer({ cliPath: inject('temporalCliPath'), dbFile: path.join(dir, 'busy-ui.sqlite'), port: await freePort(), uiPort }));
      expect(error.message).toContain(`port ${uiPort} (Temporal UI)`);
    } finally {
      await new Promise((resolve) => holder.close(resolve));
    }
  });

  it('says the binary is missing when it cannot be run', async () => {
    const error = await rejection(startDevServer({ cliPath: path.join(dir, 'no-such-temporal'), dbFile: path.join(dir, 'missing.sqlite'), port: await freePort(), uiPort: await freePort(), headless: true }));
    expect(error.message).toContain('exited (code -1) before it was ready');
    expect(error.output).toContain('ENOENT');
  });

  it('reports a server that exits at once, with its last output', async () => {
    const cliPath = await script('exits.sh', 'echo "unknown flag: --db-filename" >&2\nexit 3');
    const error = await rejection(startDevServer({ cliPath, dbFile: path.join(dir, 'exits.sqlite'), port: await freePort(), uiPort: await freePort(), headless: true }));
    expect(error.message).toContain('exited (code 3) before it was ready');
    expect(error.output).toContain('unknown flag: --db-filename');
  });

  it('times out on a server that never becomes ready and leaves no process behind', async () => {
    const pidFile = path.join(dir, 'sleeper.pid');
    // A wrapper whose real work is a child process: the whole group must go.
    const cliPath = await script('never-ready.sh', `echo "starting forever"\nsleep 600 &\necho $! > ${pidFile}\nwait`);
    const error = await rejection(startDevServer({ cliPath, dbFile: path.join(dir, 'never.sqlite'), port: await freePort(), uiPort: await freePort(), headless: true, readyTimeoutMs: 1500 }));
    // The message names the deadline that fired: the 1500 ms asked for, not the 60 s default.
    expect(error.message).toMatch(/^the Temporal dev server at 127\.0\.0\.1:\d+ was not ready within 1500 ms \(last error: .+\)/);
    expect(error.output).toContain('starting forever');
    const sleeper = Number(await readFile(pidFile, 'utf8'));
    expect(sleeper).toBeGreaterThan(0);
    await expect.poll(() => processIsGone(sleeper), { timeout: 30_000 }).toBe(true);
  });

  it('starts a real server with Baton search attributes, keeps runs across restarts, and stops with no process left', async () => {
    const dbFile = path.join(dir, 'real', 'temporal.sqlite');
    const port = await freePort();
    const options = { cliPath: inject('temporalCliPath'), dbFile, port, uiPort: await freePort(), headless: true };

    const first = await startDevServer(options);
    expect(first.address).toBe(`127.0.0.1:${port}`);
    expect(first.uiUrl).toBeNull();
    const workflowId = `dev-server-survives-${Date.now()}`;
    let connection = await Connection.connect({ address: first.address });
    try {
      const listed = await connection.operatorService.listSearchAttributes({ namespace: 'default' });
      expect(Object.keys(listed.customAttributes ?? {})).toEqual(expect.arrayContaining(Object.keys(batonSearchAttributes)));
      const client = new Client({ connection });
      await client.workflow.start('nobodyRunsThis', { taskQueue: 'dev-server-test-no-worker', workflowId });
    } finally {
      await connection.close();
    }
    // The default pragmas put SQLite in WAL mode: the -wal file exists while the server runs.
    await expect(stat(`${dbFile}-wal`)).resolves.toBeTruthy();
    await first.stop();
    expect(await processIsGone(first.pid)).toBe(true);
    await first.stop(); // a second stop is harmless

    const second = await startDevServer(options);
    try {
      connection = await Connection.connect({ address: second.address });
      try {
        const description = await new Client({ connection }).workflow.getHandle(workflowId).describe();
        expect(description.type).toBe('nobodyRunsThis');
        expect(description.status.name).toBe('RUNNING');
      } finally {
        await connection.close();
      }
    } finally {
      await second.stop();
    }
    expect(await processIsGone(second.pid)).toBe(true);
  });
});

describe('registerSearchAttributes', () => {
  it('adds the missing attributes to a namespace once, and is a no-op after', async () => {
    const connection = await Connection.connect({ address: inject('temporalAddress') });
    try {
      const namespace = `baton-sa-${Date.now()}`;
      await connection.workflowService.registerNamespace({ namespace, workflowExecutionRetentionPeriod: msToTs('1 day') });
      const names = Object.keys(batonSearchAttributes);
      // A just-registered namespace takes a moment to reach every service's cache.
      await expect.poll(async () => (await registerSearchAttributes(connection, namespace).catch(() => undefined))?.added, { timeout: 30_000, interval: 500 })
        .toEqual(names);
      expect(await registerSearchAttributes(connection, namespace)).toEqual({ added: [], alreadyThere: names });
      const listed = await connection.operatorService.listSearchAttributes({ namespace });
      const { IndexedValueType } = proto.temporal.api.enums.v1;
      expect(listed.customAttributes).toMatchObject({
        BatonProject: IndexedValueType.INDEXED_VALUE_TYPE_KEYWORD,
        BatonStepOrder: IndexedValueType.INDEXED_VALUE_TYPE_INT,
        BatonUpdatedAt: IndexedValueType.INDEXED_VALUE_TYPE_DATETIME,
      });
    } finally {
      await connection.close();
    }
  });

  it('names the attributes and namespace when registration fails', async () => {
    const connection = await Connection.connect({ address: inject('temporalAddress') });
    try {
      await expect(registerSearchAttributes(connection, 'no-such-namespace-baton')).rejects.toThrow(/no-such-namespace-baton/);
    } finally {
      await connection.close();
    }
  });
});
