// Restarting the API process loses nothing: runs live in Temporal and definitions in the store,
// so a new app with a new Temporal client and a reopened store reads, lists and resumes them.
import { mkdtemp, rm } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { Client, Connection } from '@temporalio/client';
import { afterAll, beforeAll, expect, inject, it } from 'vitest';
import type { V1Run } from '../../src/domain/v1-api.ts';
import { openStore, type Store } from '../../src/store/open-store.ts';
import { RunService } from '../../src/temporal/run-service.ts';
import { eventually } from '../integration/engine-harness.ts';
import { startV1Api, startV1Stack, type V1Api, type V1Stack } from './v1-stack.ts';

let dataDir: string;
let stack: V1Stack;
let connection: Connection | undefined;
let store: Store | undefined;
let api: V1Api | undefined;

beforeAll(async () => {
  dataDir = await mkdtemp(path.join(os.tmpdir(), 'baton-v1-restart-'));
  stack = await startV1Stack('v1-restart', { dataDir });
});
afterAll(async () => {
  await api?.close();
  await store?.close();
  await connection?.close();
  // The first API's parts were closed by the test; what remains of the stack is the engine.
  await stack?.engine.close();
  await rm(dataDir, { recursive: true, force: true });
});

it('reads, lists, resumes and cancels runs started before the API restarted, and starts new ones', async () => {
  const [project] = stack.projects;
  const before = stack.api.client(0);
  const start = { input: { task: 'Route this lead', state: { leadId: 'lead-123' } } };
  const toResume = await before.agents.workflow('lead-router', start);
  const toCancel = await before.agents.workflow('lead-router', start);
  const done = await before.workflowRuns.resume((await before.agents.workflow('lead-router', start)).run_id, {
    input: { resume: { step: 'approval', input: 'reject' } },
  });

  // Stop the API process's parts: HTTP server, store, Temporal client. The worker keeps running.
  await stack.api.close();
  await stack.store.close();
  await stack.engine.client.connection.close();

  connection = await Connection.connect({ address: inject('temporalAddress') });
  const runs = new RunService({ client: new Client({ connection, namespace: inject('temporalNamespace') }), taskQueue: stack.engine.taskQueue, defaultPauseTimeout: '1h' });
  store = await openStore({ dataDir });
  api = await startV1Api({ runs, store, apiKeys: new Map([[stack.keyOf(project), project]]) });
  const after = api.client(0);

  expect(await after.workflowRuns.get(toResume.run_id)).toStrictEqual(toResume);
  expect(await after.workflowRuns.get(done.run_id)).toStrictEqual(done);
  const listed = await eventually(async () => {
    const page = await after.workflowRuns.list();
    expect(page.data).toHaveLength(3);
    return page;
  });
  expect(Object.fromEntries(listed.data.map((run) => [run.run_id, run.status]))).toStrictEqual({
    [toResume.run_id]: 'paused', [toCancel.run_id]: 'paused', [done.run_id]: 'completed',
  });

  const resumed: V1Run = await after.workflowRuns.resume(toResume.run_id, { input: { resume: { step: 'approval', input: 'approve' } } });
  expect(resumed.output).toMatchObject({ status: 'completed', result: { routedTo: 'enterprise-sales', leadId: 'lead-123' } });
  expect((await after.workflowRuns.delete(toCancel.run_id)).output.status).toBe('cancelled');
  // The published definition came back with the reopened store.
  expect((await after.agents.workflow('lead-router', start)).output.status).toBe('paused');
});
