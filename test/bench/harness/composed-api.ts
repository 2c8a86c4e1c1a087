// The Baton API composed the way the contract tests compose it (v1 and Agent Manager routes over
// RunService and the store, the lead-router example published), as a child-process entry. The
// bench uses it only when asked (BENCH_BATON_ENTRY=composed), for as long as `baton api` mounts
// no resource routes of its own.
import { serve } from '@hono/node-server';
import { Client, Connection } from '@temporalio/client';
import { createApp } from '../../../api/app.ts';
import { createV1Routes } from '../../../api/routes/v1-routes.ts';
import { createWorkflowDefinitionRoutes } from '../../../api/routes/workflow-definitions.ts';
import { createAgentManagerRunRoutes } from '../../../api/routes/workflow-runs.ts';
import { leadRouterExample } from '../../../src/examples/index.ts';
import { openStore } from '../../../src/store/open-store.ts';
import { RunService } from '../../../src/temporal/run-service.ts';

const env = (name: string) => {
  const value = process.env[name];
  if (!value) throw new Error(`${name} is not set`);
  return value;
};

const store = await openStore({ databaseUrl: env('DATABASE_URL') });
await store.definitions.upsertExample('default', leadRouterExample);
const client = new Client({ connection: await Connection.connect({ address: env('TEMPORAL_ADDRESS') }), namespace: process.env.TEMPORAL_NAMESPACE ?? 'default' });
const runs = new RunService({ client, taskQueue: env('BATON_TASK_QUEUE'), defaultPauseTimeout: '7d' });
const app = createApp({
  apiKeys: new Map(),
  maxBodyBytes: 1_048_576,
  readiness: {},
  routes: [
    ...createV1Routes({ runs, definitions: store.definitions, defaultWaitMs: 30_000 }),
    { path: '/api/v1', app: createWorkflowDefinitionRoutes({ store }) },
    { path: '/api/v1', app: createAgentManagerRunRoutes({ store, runs }) },
  ],
});
const server = serve({ fetch: app.fetch, hostname: '127.0.0.1', port: Number(env('PORT')) });
// Node closes idle keep-alive sockets after 5 s; a client whose timers run late (a busy bench
// process) then writes into a socket the server just closed ("other side closed"). Keep idle
// sockets longer than any pause between rounds.
if ('keepAliveTimeout' in server) {
  server.keepAliveTimeout = 65_000;
  server.headersTimeout = 66_000;
}
const stop = () => {
  server.close(() => void Promise.all([store.close(), client.connection.close()]).then(() => process.exit(0)));
};
for (const signal of ['SIGINT', 'SIGTERM'] as const) process.once(signal, stop);
