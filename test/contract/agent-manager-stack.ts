// What the Agent Manager contract tests share: a real worker on the test run's dev server whose
// activities keep session memory in the store (PGlite), the seed's agents as function agents, and
// the real app (auth, body limit, onError) with the definition, run and v1 routes, on a free port.
import type { AddressInfo } from 'node:net';
import { setTimeout } from 'node:timers/promises';
import { serve, type ServerType } from '@hono/node-server';
import { Client, Connection } from '@temporalio/client';
import { NativeConnection, Worker } from '@temporalio/worker';
import { ulid } from 'ulid';
import { inject } from 'vitest';
import { createApp } from '../../api/app.ts';
import { createV1Routes } from '../../api/routes/v1-routes.ts';
import { createWorkflowDefinitionRoutes } from '../../api/routes/workflow-definitions.ts';
import { createAgentManagerRunRoutes } from '../../api/routes/workflow-runs.ts';
import { createActivities } from '../../src/activities/index.ts';
import { createAgentRegistry, type AgentRegistry } from '../../src/agents/agent-registry.ts';
import { registerBuiltinAgents } from '../../src/agents/builtin-agents.ts';
import type { AgentContext } from '../../src/domain/agent.ts';
import type { ErrorBody } from '../../src/domain/errors.ts';
import { openStore, type Store } from '../../src/store/open-store.ts';
import { RunService } from '../../src/temporal/run-service.ts';
import { uniqueProject, workflowBundle } from '../integration/engine-harness.ts';

export const testMaxBodyBytes = 64 * 1024;

/**
 * Stand-ins for seed 002's LLM agents: deterministic answers built from what they received, so a
 * test can follow each step's output into the next step's input.
 */
export function registerSeedAgents(agents: AgentRegistry): AgentRegistry {
  return agents
    .register('web_agent', { kind: 'function', description: 'Searches the web (test stand-in)', run: async (ctx) => `Search results for "${typeof ctx.input === 'string' ? ctx.input : ctx.task}": AI reads scans; AI designs molecules; AI triages patients.` })
    .register('procurator_assistant', { kind: 'function', description: 'Writes and summarizes (test stand-in)', run: async (ctx) => `${ctx.action} <- ${typeof ctx.input === 'string' ? ctx.input : JSON.stringify(ctx.input)}` })
    // Holds its step open for `input` ms (or until cancelled), so a test can find a run `running`.
    .register('sleeper', { kind: 'function', run: async (ctx, signal) => { await setTimeout(Number(ctx.input) || 0, undefined, { signal }); return 'slept'; } })
    // Answers with exactly what the engine handed it of the session, for the session tests.
    .register('session_probe', { kind: 'function', run: async (ctx: AgentContext) => ({ sessionId: ctx.sessionId, saw: ctx.session.map(({ runId, step, agentId, input, output }) => ({ runId, step, agentId, input, output })) }) });
}

export interface CallOptions {
  body?: unknown;
  /** Sent as is instead of JSON.stringify(body). */
  raw?: string;
  /** Whose key to send (default projects[0]); null sends none. */
  project?: string | null;
  headers?: Record<string, string>;
}

export interface AgentManagerStack {
  client: Client;
  runs: RunService;
  store: Store;
  url: string;
  /** Two projects, each with its API key `key-<project>`. */
  projects: [string, string];
  keyOf(project: string): string;
  /** fetch against the API with the project's key; JSON bodies in and out. */
  call<T = ErrorBody>(method: string, path: string, options?: CallOptions): Promise<{ status: number; json: T }>;
  close(): Promise<void>;
}

/** `store`: run on this store (the caller closes it); by default a fresh in-memory PGlite. */
export async function startAgentManagerStack(name: string, options: { store?: Store } = {}): Promise<AgentManagerStack> {
  const address = inject('temporalAddress');
  const namespace = inject('temporalNamespace');
  const taskQueue = `agent-manager-${name}-${ulid()}`;
  const connection = await Connection.connect({ address });
  const client = new Client({ connection, namespace });
  const store = options.store ?? (await openStore());
  const agents = registerSeedAgents(registerBuiltinAgents(createAgentRegistry()));
  const nativeConnection = await NativeConnection.connect({ address });
  const worker = await Worker.create({
    connection: nativeConnection, namespace, taskQueue,
    workflowBundle: await workflowBundle(),
    activities: createActivities({ agents, sessions: store.sessions }),
    shutdownGraceTime: '1s',
  });
  const running = worker.run();
  const runs = new RunService({ client, taskQueue, defaultPauseTimeout: '1h' });

  const projects: [string, string] = [uniqueProject(`${name}-a`), uniqueProject(`${name}-b`)];
  const keyOf = (project: string) => `key-${project}`;
  const app = createApp({
    apiKeys: new Map(projects.map((project) => [keyOf(project), project])),
    maxBodyBytes: testMaxBodyBytes,
    readiness: { temporal: { client, taskQueue } },
    routes: [
      { path: '/api/v1', app: createWorkflowDefinitionRoutes({ store, agentExists: async (project, agentId) => agents.get(agentId) !== undefined || (await store.agents.find(project, agentId)) !== null }) },
      { path: '/api/v1', app: createAgentManagerRunRoutes({ store, runs }) },
      ...createV1Routes({ runs, definitions: store.definitions, defaultWaitMs: 30_000 }),
    ],
  });
  const server = await new Promise<ServerType>((resolve) => {
    const listening = serve({ fetch: app.fetch, hostname: '127.0.0.1', port: 0 }, () => resolve(listening));
  });
  const url = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;

  return {
    client, runs, store, url, projects, keyOf,
    async call<T>(method: string, path: string, options: CallOptions = {}) {
      const who = options.project === undefined ? projects[0] : options.project;
      const headers: Record<string, string> = { ...(who === null ? {} : { authorization: `Bearer ${keyOf(who)}` }), ...options.headers };
      let body: string | undefined;
      if (options.raw !== undefined || options.body !== undefined) {
        headers['content-type'] ??= 'application/json';
        body = options.raw ?? JSON.stringify(options.body);
      }
      const response = await fetch(`${url}${path}`, { method, headers, body });
      const text = await response.text();
      return { status: response.status, json: (text ? JSON.parse(text) : undefined) as T };
    },
    async close() {
      await new Promise<void>((resolve) => {
        server.close(() => resolve());
        // Keep-alive connections would otherwise hold close open.
        if ('closeAllConnections' in server) server.closeAllConnections();
      });
      if (worker.getState() === 'RUNNING') worker.shutdown();
      await running;
      await nativeConnection.close();
      await connection.close();
      if (!options.store) await store.close();
    },
  };
}
