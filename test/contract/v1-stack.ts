// What the v1 contract tests share: the engine on the test run's dev server (a real worker with the
// lead-router example's agents), the store with the example published in each project, and the
// real app (auth, body limit, onError, OpenAPI) listening on a free port.
import type { AddressInfo } from 'node:net';
import { serve, type ServerType } from '@hono/node-server';
import { createApp } from '../../api/app.ts';
import { createV1Routes } from '../../api/routes/v1-routes.ts';
import { leadRouterExample, registerExampleAgents } from '../../src/examples/index.ts';
import { createClient, type BatonClient } from '../../src/sdk/index.ts';
import { openStore, type Store, type StoreOptions } from '../../src/store/open-store.ts';
import type { RunService } from '../../src/temporal/run-service.ts';
import { startEngine, uniqueProject, type Engine } from '../integration/engine-harness.ts';

export interface V1Api {
  app: ReturnType<typeof createApp>;
  url: string;
  /** An SDK client holding the API key of `projects[index]`. */
  client(index?: number): BatonClient;
  close(): Promise<void>;
}

export interface V1Stack {
  engine: Engine;
  store: Store;
  /** Three projects, each with its API key `key-<project>` and the lead-router example published. */
  projects: [string, string, string];
  keyOf(project: string): string;
  api: V1Api;
  close(): Promise<void>;
}

export const testMaxBodyBytes = 64 * 1024;

/** The app as `baton api` composes it, listening on 127.0.0.1 on a free port. */
export async function startV1Api(options: { runs: RunService; store: Store; apiKeys: Map<string, string>; readiness?: Parameters<typeof createApp>[0]['readiness'] }): Promise<V1Api> {
  const app = createApp({
    apiKeys: options.apiKeys,
    maxBodyBytes: testMaxBodyBytes,
    readiness: options.readiness ?? {},
    routes: createV1Routes({ runs: options.runs, definitions: options.store.definitions, defaultWaitMs: 30_000 }),
  });
  const server = await new Promise<ServerType>((resolve) => {
    const listening = serve({ fetch: app.fetch, hostname: '127.0.0.1', port: 0 }, () => resolve(listening));
  });
  const url = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  const keys = [...options.apiKeys.keys()];
  return {
    app,
    url,
    client: (index = 0) => createClient({ baseUrl: url, apiKey: keys[index] }),
    close: () => new Promise<void>((resolve, reject) => server.close((error) => (error ? reject(error) : resolve()))),
  };
}

export async function startV1Stack(name: string, storeOptions: StoreOptions = {}): Promise<V1Stack> {
  const engine = await startEngine(name);
  registerExampleAgents(engine.agents);
  const store = await openStore(storeOptions);
  const projects: [string, string, string] = [uniqueProject(`${name}-a`), uniqueProject(`${name}-b`), uniqueProject(`${name}-c`)];
  for (const project of projects) await store.definitions.upsertExample(project, leadRouterExample);
  const keyOf = (project: string) => `key-${project}`;
  const apiKeys = new Map(projects.map((project) => [keyOf(project), project]));
  const api = await startV1Api({ runs: engine.runs, store, apiKeys, readiness: { temporal: { client: engine.client, taskQueue: engine.taskQueue } } });
  return {
    engine,
    store,
    projects,
    keyOf,
    api,
    async close() {
      await api.close();
      await store.close();
      await engine.close();
    },
  };
}
