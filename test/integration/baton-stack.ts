// Baton composed exactly as `baton start` composes it (createRuntime: the store, the stored-agent
// lookup, the session store, the real activities, the worker and the API), on the test run's dev
// server. Each stack has its own task queue and its own database: a fresh schema on the test
// PostgreSQL (DATABASE_URL), or PGlite under a temporary BATON_HOME. Everything the runtime reads
// comes from the env given here, never from the test process's environment.
import { mkdtemp, rm } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import type { Client } from '@temporalio/client';
import type { WorkflowBundle } from '@temporalio/worker';
import { ulid } from 'ulid';
import { inject } from 'vitest';
import type { AgentRegistry, FunctionAgentSpec } from '../../src/agents/agent-registry.ts';
import { createRuntime, type Runtime, type RuntimeRole } from '../../src/cli/runtime.ts';
import { loadConfig, type Config } from '../../src/config.ts';
import type { Store } from '../../src/store/open-store.ts';
import type { RunService } from '../../src/temporal/run-service.ts';
import { bundleBatonWorkflows } from '../../workers/create-worker.ts';
import { dropSchema, postgresUrl, uniqueSchema } from './store-backends.ts';

/** The body limit the stacks run with (BATON_MAX_BODY_BYTES), small so 413 is cheap to provoke. */
export const testMaxBodyBytes = 64 * 1024;

let bundle: Promise<WorkflowBundle> | undefined;
/** One webpack bundle of the shipped workflow code per test file, shared by all its runtimes. */
export function workflowBundle(): Promise<WorkflowBundle> {
  bundle ??= bundleBatonWorkflows();
  return bundle;
}

export interface BatonStackOptions {
  /** Names the task queue (and nothing else), for reading the dev server's UI. */
  name: string;
  /** Projects with the API key `key-<project>` each (BATON_API_KEYS); none: no keys, project `default`. */
  projects?: string[];
  /**
   * `postgres` (default): a schema of its own on the test server, which split roles and worker
   * restarts need; `pglite`: embedded under BATON_HOME as `baton start` without DATABASE_URL
   * (its first open runs initdb, tens of seconds on a busy machine).
   */
  database?: 'pglite' | 'postgres';
  /** `all`: one `baton start` runtime; `split`: a `baton api` and a `baton worker` runtime; `api`: `baton api` alone (both PostgreSQL). */
  roles?: 'all' | 'split' | 'api';
  /** More environment for the runtime, e.g. OPENAI_BASE_URL of the fake model. */
  env?: Record<string, string>;
  /** Test-only function agents, for behaviours no shipped agent has (added through createRuntime's `extend`). */
  agents?: Record<string, FunctionAgentSpec>;
}

export interface BatonStack {
  config: Config;
  /** The runtime serving the API (`all` or `api`). */
  api: Runtime;
  /** Its base URL on 127.0.0.1. */
  url: string;
  client: Client;
  runs: RunService;
  store: Store;
  projects: string[];
  keyOf(project: string): string;
  /** Adds a test-only function agent to every running and future worker. */
  registerAgent(id: string, agent: FunctionAgentSpec): void;
  /** Stops the newest running worker (as SIGTERM would); the API keeps serving. */
  stopWorker(): Promise<void>;
  /** Starts another `baton worker` runtime on the same task queue and database (PostgreSQL only). */
  startWorker(): Promise<Runtime>;
  /** Starts another runtime of this stack's config, e.g. a restarted `baton api` (the stack closes it too). */
  startRuntime(role: RuntimeRole): Promise<Runtime>;
  close(): Promise<void>;
}

export async function startBatonStack(options: BatonStackOptions): Promise<BatonStack> {
  const roles = options.roles ?? 'all';
  const database = options.database ?? 'postgres';
  if (roles !== 'all' && database !== 'postgres') throw new Error('split roles share a PostgreSQL; PGlite belongs to one process');
  const home = await mkdtemp(path.join(os.tmpdir(), `baton-${options.name}-`));
  const schema = database === 'postgres' ? uniqueSchema() : undefined;
  const projects = options.projects ?? [];
  const keyOf = (project: string) => `key-${project}`;
  const config = loadConfig({
    TEMPORAL_ADDRESS: inject('temporalAddress'),
    TEMPORAL_NAMESPACE: inject('temporalNamespace'),
    BATON_TASK_QUEUE: `${options.name}-${ulid()}`,
    BATON_HOME: home,
    HOST: '127.0.0.1',
    PORT: '0',
    BATON_API_KEYS: projects.map((project) => `${keyOf(project)}:${project}`).join(','),
    BATON_PAUSE_TIMEOUT: '1h',
    BATON_MAX_BODY_BYTES: String(testMaxBodyBytes),
    // A stopped worker hands its running steps back to Temporal quickly.
    BATON_SHUTDOWN_GRACE_MS: '1000',
    // Agents of tests aim at servers on this machine (the fake model, http agent receivers).
    BATON_EGRESS_ALLOW: '127.0.0.1',
    ...(schema ? { DATABASE_URL: postgresUrl, BATON_DATABASE_SCHEMA: schema } : {}),
    ...options.env,
  });

  const testAgents = new Map(Object.entries(options.agents ?? {}));
  const registries: AgentRegistry[] = [];
  const extend = {
    agents: (registry: AgentRegistry) => {
      registries.push(registry);
      for (const [id, agent] of testAgents) registry.register(id, agent);
    },
  };
  const runtimes: Runtime[] = [];
  const workers: Runtime[] = [];
  const startRuntime = async (role: RuntimeRole) => {
    const runtime = await createRuntime(config, { role, extend, workflowBundle: await workflowBundle() });
    runtimes.push(runtime);
    if (runtime.worker) workers.push(runtime);
    return runtime;
  };
  const close = async () => {
    for (const runtime of runtimes.reverse()) await runtime.close();
    runtimes.length = 0;
    if (schema) await dropSchema(schema);
    await rm(home, { recursive: true, force: true });
  };

  try {
    if (roles === 'split') await startRuntime('worker');
    const api = await startRuntime(roles === 'all' ? 'all' : 'api');
    return {
      config,
      api,
      url: api.urls.api!,
      client: api.client,
      runs: api.runs!,
      store: api.store,
      projects,
      keyOf,
      registerAgent(id, agent) {
        testAgents.set(id, agent);
        for (const registry of registries) registry.register(id, agent);
      },
      async stopWorker() {
        const runtime = workers.pop();
        if (!runtime?.worker) throw new Error('no worker is running');
        if (runtime.worker.getState() === 'RUNNING') runtime.worker.shutdown();
        await runtime.done;
      },
      async startWorker() {
        if (!schema) throw new Error('another worker needs database: postgres (PGlite belongs to one process)');
        return await startRuntime('worker');
      },
      startRuntime,
      close,
    };
  } catch (error) {
    await close();
    throw error;
  }
}
