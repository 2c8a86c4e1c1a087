import type { AddressInfo } from 'node:net';
import path from 'node:path';
import { serve, type ServerType } from '@hono/node-server';
import type { Client } from '@temporalio/client';
import type { NativeConnection, Worker, WorkflowBundle } from '@temporalio/worker';
import { createApp } from '../../api/app.ts';
import type { RunEventHub } from '../../api/run-event-hub.ts';
import { createBatonWorker, shutdownForceAfterGraceMs } from '../../workers/create-worker.ts';
import type { Config } from '../config.ts';
import { errorFields, lineLog, type Logger, silentLogger } from '../observability/logger.ts';
import { createApiMetrics } from '../observability/metrics.ts';
import { startTracing } from '../observability/tracing.ts';
import type { Store } from '../store/open-store.ts';
import type { RunService } from '../temporal/run-service.ts';
import { connectClient, connectNative, temporalTarget } from '../temporal/connection.ts';
import { assertPortFree, type DevServer, startDevServer } from '../temporal/dev-server.ts';
import { registerSearchAttributes } from '../temporal/register-search-attributes.ts';
import { findTemporalCli } from '../temporal/temporal-cli.ts';
import { describeBoundAddress } from './bound-address.ts';
import { type EngineContext, wireEngine } from './engine-wiring.ts';

/** `all` is `baton start`; `api` and `worker` are the split production roles. */
export type RuntimeRole = 'all' | 'api' | 'worker';

export interface RuntimeOptions {
  role: RuntimeRole;
  /** Where Baton's log lines go (the process logger); default: nowhere. */
  logger?: Logger;
  /** Also takes Baton's progress lines as plain text (tests); default: the logger's. */
  log?: (line: string) => void;
  /** Test seam: the worker's workflow module (default src/workflows/index.ts). */
  workflowsPath?: string;
  /** Test seam: workflow code bundled once, so several runtimes in one process skip re-bundling. */
  workflowBundle?: WorkflowBundle;
  /** Worker-local agents and tools beyond the built-ins, for embedding Baton in your own process. */
  extend?: EngineContext['extend'];
}

export interface Runtime {
  config: Config;
  client: Client;
  /** The store this process opened. */
  store: Store;
  /** Run operations as the API performs them; absent for a worker-only runtime. */
  runs?: RunService;
  /** The API's open run event streams; absent for a worker-only runtime. */
  runEvents?: RunEventHub;
  devServer?: DevServer;
  worker?: Worker;
  /** apiListening: the bound address and who can reach it (all interfaces or this machine only). */
  urls: { api?: string; apiListening?: string; docs?: string; temporalUi?: string; temporal: string };
  /** Settles when the worker stops on its own (rejects if it crashed); never, for an API-only runtime. */
  done: Promise<void>;
  /** Stops everything in reverse order of start; safe to call twice. */
  close(): Promise<void>;
}

/**
 * Composes a Baton process from config: an embedded Temporal dev server when TEMPORAL_ADDRESS is
 * unset, search attributes, the engine's parts (store, activities, routes), the worker and the API.
 */
export async function createRuntime(config: Config, options: RuntimeOptions): Promise<Runtime> {
  const logger = options.logger ?? silentLogger();
  const log = options.log ?? lineLog(logger);
  // The API's metrics (HTTP, runs, webhooks); a worker's are Temporal Core's own exporter.
  const metrics = options.role === 'worker' ? undefined : createApiMetrics({
    onCollectError: (error) => logger.warn({ error: errorFields(logger, error) }, `metrics: counting runs by status failed: ${error.message}`),
  });
  // [what, closer, how long it may take]: a part that hangs (a pool waiting on a stuck query) is left behind, not waited for.
  const closers: Array<[string, () => Promise<unknown>, number?]> = [];
  const close = async () => {
    while (closers.length > 0) {
      const [what, closer, boundMs = closerBoundMs] = closers.pop()!;
      try {
        if (!(await settlesWithin(closer(), boundMs))) log(`${what} did not stop within ${boundMs} ms; going on without it`);
      } catch (error) {
        log(`stopping ${what} failed: ${(error as Error).message}`);
      }
    }
  };

  try {
    // Fail before starting anything when the API cannot have its port.
    if (options.role !== 'worker' && config.port !== 0) await assertPortFree(config.host, config.port, 'PORT, the Baton API');
    let devServer: DevServer | undefined;
    if (!config.temporal.address) {
      if (options.role !== 'all') throw new Error(`baton ${options.role} needs TEMPORAL_ADDRESS (only baton start runs an embedded Temporal dev server)`);
      const cli = await findTemporalCli({ homeDir: config.home, env: { ...process.env, TEMPORAL_CLI_PATH: config.temporal.cliPath }, log });
      log(`Temporal CLI: ${cli.path} (${cli.way})`);
      devServer = await startDevServer({
        cliPath: cli.path,
        dbFile: path.join(config.home, 'temporal.sqlite'),
        port: config.temporal.devServerPort,
        uiPort: config.temporal.devServerUiPort,
        namespace: config.temporal.namespace,
        pidFile: path.join(config.home, 'temporal-dev-server.pid'),
        log,
      });
      closers.push(['the Temporal dev server', () => devServer!.stop(), devServerStopBoundMs]);
      log(`Temporal dev server running (pid ${devServer.pid}), data in ${path.join(config.home, 'temporal.sqlite')}`);
    }

    // Split roles share definitions, agents and sessions; PGlite belongs to one process only.
    if (options.role !== 'all' && !config.databaseUrl) throw new Error(`baton ${options.role} needs DATABASE_URL (a PostgreSQL shared by the API and the workers; only baton start uses embedded PGlite)`);

    const target = temporalTarget(config.temporal, devServer?.address);
    const tracing = config.tracing ? startTracing(config.tracing) : undefined;
    // Pushed before the client and worker, so it runs after they stopped: their last spans go out too.
    if (tracing) closers.push(['the trace exporter', () => tracing.flush()]);
    const client = await connectClient(target, tracing ? { interceptors: tracing.clientInterceptors } : {});
    // Set once the engine is wired; its abandoned Queries must not retry on a closed connection.
    const wired: { runs?: RunService } = {};
    closers.push(['the Temporal client', async () => {
      await wired.runs?.settleAbandonedCalls();
      await client.connection.close();
    }]);
    // The dev server registers them at start; an external cluster (or an older SQLite file) may not have them.
    try {
      const registered = await registerSearchAttributes(client.connection, target.namespace);
      if (registered.added.length > 0) log(`registered search attributes: ${registered.added.join(', ')}`);
    } catch (error) {
      if (devServer) throw error;
      // Managed clusters (Temporal Cloud) may refuse the operator API: they are registered there by an admin.
      log(`warning: ${(error as Error).message}; register them on the cluster yourself (see README)`);
    }

    const engine = await wireEngine({ config, client, role: options.role, log, logger, metrics, extend: options.extend });
    wired.runs = engine.runs;
    if (engine.close) closers.push(['the engine', engine.close]);

    let worker: Worker | undefined;
    let done: Promise<void> = new Promise(() => {});
    if (options.role !== 'api') {
      const connection: NativeConnection = await connectNative(target);
      closers.push(['the worker connection', () => connection.close()]);
      worker = await createBatonWorker({
        connection,
        namespace: target.namespace,
        taskQueue: config.taskQueue,
        activities: engine.activities,
        workflowsPath: options.workflowsPath,
        workflowBundle: options.workflowBundle,
        maxConcurrentActivities: config.worker.maxConcurrentActivities,
        maxConcurrentWorkflowTasks: config.worker.maxConcurrentWorkflowTasks,
        maxCachedWorkflows: config.worker.maxCachedWorkflows,
        memorySaver: config.worker.memorySaver,
        stackFrames: config.worker.stackFrames,
        stackTraces: config.worker.stackTraces,
        shutdownGraceMs: config.shutdownGraceMs,
        sinks: { ...engine.sinks, ...tracing?.worker.sinks },
        ...(tracing ? { interceptors: tracing.worker.interceptors, workflowInterceptorModules: tracing.workflowInterceptorModules } : {}),
      });
      const running = worker.run();
      done = running;
      const started = worker;
      const forcedAfterMs = config.shutdownGraceMs + shutdownForceAfterGraceMs;
      closers.push(['the worker', async () => {
        const stopBegan = Date.now();
        if (started.getState() === 'RUNNING') started.shutdown();
        try {
          await running;
        } catch (error) {
          // Forced: run() rejects (GracefulShutdownPeriodExpiredError, or what its cleanup then throws).
          if (Date.now() - stopBegan < forcedAfterMs) throw error;
          log(`activities still running ${config.shutdownGraceMs} ms (BATON_SHUTDOWN_GRACE_MS) after the stop began were abandoned; Temporal retries them on another worker`);
        }
      }, forcedAfterMs + closerBoundMs]);
    }

    const urls: Runtime['urls'] = { temporal: target.address, temporalUi: devServer?.uiUrl ?? undefined };
    if (options.role !== 'worker') {
      const app = createApp({
        apiKeys: config.apiKeys,
        apiKeyLabels: config.apiKeyLabels,
        maxBodyBytes: config.maxBodyBytes,
        readiness: { temporal: { client, taskQueue: config.taskQueue }, store: engine.storeCheck },
        routes: engine.routes,
        inbox: engine.inbox,
        logger: logger.child({ component: 'http' }),
        metrics,
        metricsToken: config.metrics.token,
      });
      const server = await listen(app.fetch, config.host, config.port);
      closers.push(['the API server', () => closeServer(server)]);
      // What the socket is bound to, not what was asked: HOST may be a name, PORT may be 0.
      const bound = describeBoundAddress(server.address() as AddressInfo);
      urls.api = bound.url;
      urls.apiListening = bound.listening;
      urls.docs = `${urls.api}/docs`;
    }

    engine.afterStart?.();
    return { config, client, store: engine.store, runs: engine.runs, runEvents: engine.runEvents, devServer, worker, urls, done, close };
  } catch (error) {
    await close();
    throw error;
  }
}

// Every part but the worker (bounded by the grace) and the dev server (SIGTERM, then SIGKILL after 5 s) stops in moments.
const closerBoundMs = 3_000;
const devServerStopBoundMs = 8_000;

/**
 * The longest a close() takes past the shutdown grace, whatever the parts do: the worker's forced
 * stop, then each other part's bound. `baton` exits the process once this has passed.
 */
export const closeMarginMs = shutdownForceAfterGraceMs + 5 * closerBoundMs + devServerStopBoundMs;

/** Resolves true when the work settled in time (rethrowing its error), false when the time ran out first. */
async function settlesWithin(work: Promise<unknown>, ms: number): Promise<boolean> {
  let timer: NodeJS.Timeout | undefined;
  const expired = new Promise<false>((resolve) => { timer = setTimeout(() => resolve(false), ms); });
  try {
    return await Promise.race([work.then(() => true as const), expired]);
  } finally {
    clearTimeout(timer);
  }
}

function listen(fetch: (request: Request) => Response | Promise<Response>, hostname: string, port: number): Promise<ServerType> {
  return new Promise((resolve, reject) => {
    const server = serve({ fetch, hostname, port }, () => resolve(server));
    // Node's 5 s keep-alive timeout races clients and load balancers that reuse idle sockets
    // longer ("other side closed" on the next request); 65 s outlasts the common 60 s idle limits.
    if ('keepAliveTimeout' in server) server.keepAliveTimeout = 65_000;
    server.once('error', (error: NodeJS.ErrnoException) => {
      reject(error.code === 'EADDRINUSE' ? new Error(`PORT ${port} on ${hostname} is already in use: stop what holds it or set PORT`) : error);
    });
  });
}

async function closeServer(server: ServerType): Promise<void> {
  await new Promise<void>((resolve) => {
    server.close(() => resolve());
    // Keep-alive clients would otherwise hold shutdown open.
    if ('closeAllConnections' in server) server.closeAllConnections();
  });
}
