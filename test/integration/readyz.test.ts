import { fileURLToPath } from 'node:url';
import { Client, Connection } from '@temporalio/client';
import { NativeConnection } from '@temporalio/worker';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import { createApp } from '../../api/app.ts';
import { createBatonWorker } from '../../workers/create-worker.ts';
import { finishSignal } from '../fixtures/workflows/echo.ts';

const workflowsPath = fileURLToPath(new URL('../fixtures/workflows/echo.ts', import.meta.url));

let connection: Connection;
let client: Client;
beforeAll(async () => {
  connection = await Connection.connect({ address: inject('temporalAddress') });
  client = new Client({ connection, namespace: inject('temporalNamespace') });
});
afterAll(async () => { await connection.close(); });

const appFor = (taskQueue: string, store?: () => Promise<unknown>) =>
  createApp({ apiKeys: new Map(), maxBodyBytes: 1024, readiness: { temporal: { client, taskQueue }, store } });

describe('GET /readyz against the dev server', () => {
  it('is not ready while no worker polls the task queue', async () => {
    const response = await appFor(`readyz-idle-${Date.now()}`).request('/readyz');
    expect(response.status).toBe(503);
    const body = (await response.json()) as { status: string; checks: { temporal: { ok: boolean; detail: string } } };
    expect(body.status).toBe('not_ready');
    expect(body.checks.temporal).toEqual({ ok: false, detail: expect.stringMatching(/^no worker is polling task queue "readyz-idle-\d+"$/) as string });
  });

  it('is ready once a Baton worker polls, and runs workflows on it', async () => {
    const taskQueue = `readyz-worker-${Date.now()}`;
    const native = await NativeConnection.connect({ address: inject('temporalAddress') });
    const worker = await createBatonWorker({ connection: native, namespace: inject('temporalNamespace'), taskQueue, workflowsPath, shutdownGraceMs: 1000 });
    const running = worker.run();
    try {
      await expect.poll(async () => (await appFor(taskQueue).request('/readyz')).status, { timeout: 20_000, interval: 250 }).toBe(200);
      const body = (await (await appFor(taskQueue).request('/readyz')).json()) as { status: string; checks: Record<string, { ok: boolean }> };
      expect(body).toMatchObject({ status: 'ready', checks: { temporal: { ok: true } } });

      const handle = await client.workflow.start('echoUntilFinished', { taskQueue, workflowId: `${taskQueue}-run`, args: ['hello'] });
      await handle.signal(finishSignal, 'world');
      expect(await handle.result()).toBe('hello world');
    } finally {
      worker.shutdown();
      await running;
      await native.close();
    }
  });

  it('is not ready when the store does not answer, even with a worker polling', async () => {
    const taskQueue = `readyz-store-${Date.now()}`;
    const native = await NativeConnection.connect({ address: inject('temporalAddress') });
    const worker = await createBatonWorker({ connection: native, namespace: inject('temporalNamespace'), taskQueue, workflowsPath, shutdownGraceMs: 1000 });
    const running = worker.run();
    try {
      await expect.poll(async () => (await appFor(taskQueue).request('/readyz')).status, { timeout: 20_000, interval: 250 }).toBe(200);
      const response = await appFor(taskQueue, async () => { throw new Error('connection refused by the store'); }).request('/readyz');
      expect(response.status).toBe(503);
      expect(await response.json()).toMatchObject({ status: 'not_ready', checks: { temporal: { ok: true }, store: { ok: false, detail: 'connection refused by the store' } } });
      expect((await appFor(taskQueue, async () => 'pong').request('/readyz')).status).toBe(200);
    } finally {
      worker.shutdown();
      await running;
      await native.close();
    }
  });
});
