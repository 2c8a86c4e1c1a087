// A Baton deployment for one bench: N worker processes and optionally an API process on one task
// queue, over a shared Temporal dev server and a shared PostgreSQL store, like production's split roles.
import { mkdtemp, rm } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { freePort } from '../../../src/temporal/dev-server.ts';
import { type BatonProcess, spawnBaton, waitForHttp, waitForWorkers } from './baton-process.ts';
import { recreateDatabase } from './postgres.ts';
import { type BenchTemporal, startBenchTemporal } from './temporal-server.ts';

/** BENCH_STORE_DATABASE (a `baton_bench_` name) keeps two benches on one PostgreSQL server apart. */
export const BENCH_STORE_DATABASE = process.env.BENCH_STORE_DATABASE ?? 'baton_bench_store';

export interface BatonStackOptions {
  temporal: BenchTemporal;
  /** The store every process of the bench shares (definitions, sessions). */
  databaseUrl: string;
  taskQueue: string;
  workers: number;
  api: boolean;
  /** The `baton` CLI to run (another tree's, for an earlier engine); this tree's by default. */
  cliPath?: string;
  /** More environment for every process (API keys, egress allow-list). */
  env?: Record<string, string>;
  log?: (line: string) => void;
}

export interface BatonStack {
  taskQueue: string;
  apiUrl: string | null;
  api: BatonProcess | null;
  workers: BatonProcess[];
  stop(): Promise<void>;
}

export async function startBatonStack(options: BatonStackOptions): Promise<BatonStack> {
  const log = options.log ?? (() => {});
  const homeDir = await mkdtemp(path.join(os.tmpdir(), 'baton-bench-home-'));
  const env = {
    TEMPORAL_ADDRESS: options.temporal.address,
    TEMPORAL_NAMESPACE: options.temporal.namespace,
    BATON_TASK_QUEUE: options.taskQueue,
    DATABASE_URL: options.databaseUrl,
    BATON_HOME: homeDir,
    HOST: '127.0.0.1',
    ...options.env,
  };
  const workers: BatonProcess[] = [];
  let api: BatonProcess | null = null;
  const stop = async () => {
    await Promise.all([api?.stop(), ...workers.map((worker) => worker.stop())]);
    await rm(homeDir, { recursive: true, force: true });
  };
  try {
    for (let i = 0; i < options.workers; i++) workers.push(spawnBaton('worker', env, options.cliPath));
    let apiUrl: string | null = null;
    if (options.api) {
      const port = await freePort();
      api = spawnBaton('api', { ...env, PORT: String(port) }, options.cliPath);
      apiUrl = `http://127.0.0.1:${port}`;
    }
    await waitForWorkers({
      address: options.temporal.address,
      namespace: options.temporal.namespace,
      taskQueue: options.taskQueue,
      count: options.workers,
      processes: api ? [...workers, api] : workers,
    });
    if (api && apiUrl) await waitForHttp(apiUrl, api);
    log(`Baton on ${options.taskQueue}: ${options.workers} worker process(es) [${workers.map((w) => w.pid).join(', ')}]` +
      (api ? `, API ${apiUrl} (pid ${api.pid})` : ''));
    return { taskQueue: options.taskQueue, apiUrl, api, workers, stop };
  } catch (error) {
    await stop();
    throw error;
  }
}

/**
 * Baton on its embedded defaults, as `npm start` runs it: one `baton start` process (worker and API
 * together, the store in PGlite under its BATON_HOME) but pointed at the bench's dev server through
 * TEMPORAL_ADDRESS, so it shares that server with the other contenders instead of starting its own.
 * The returned stack lists the one process as both its API and its only worker.
 */
export async function startBatonEmbedded(options: { temporal: BenchTemporal; taskQueue: string; log?: (line: string) => void }): Promise<BatonStack> {
  const log = options.log ?? (() => {});
  const homeDir = await mkdtemp(path.join(os.tmpdir(), 'baton-bench-embedded-'));
  const port = await freePort();
  // DATABASE_URL empty (not inherited from the bench's environment): the store is PGlite.
  const proc = spawnBaton('start', {
    TEMPORAL_ADDRESS: options.temporal.address,
    TEMPORAL_NAMESPACE: options.temporal.namespace,
    BATON_TASK_QUEUE: options.taskQueue,
    DATABASE_URL: '',
    BATON_HOME: homeDir,
    HOST: '127.0.0.1',
    PORT: String(port),
  });
  const apiUrl = `http://127.0.0.1:${port}`;
  const stop = async () => {
    await proc.stop();
    await rm(homeDir, { recursive: true, force: true });
  };
  try {
    await waitForWorkers({ address: options.temporal.address, namespace: options.temporal.namespace, taskQueue: options.taskQueue, count: 1, processes: [proc] });
    await waitForHttp(apiUrl, proc);
    log(`Baton embedded (baton start, PGlite in ${homeDir}) on ${options.taskQueue}: pid ${proc.pid}, API ${apiUrl}`);
    return { taskQueue: options.taskQueue, apiUrl, api: proc, workers: [proc], stop };
  } catch (error) {
    await stop();
    throw error;
  }
}

/** A dev server, a fresh store database and one stack: what most suites need. */
export async function startBatonDeployment(options: { workers: number; api: boolean; taskQueue?: string; env?: Record<string, string>; log?: (line: string) => void }) {
  const temporal = await startBenchTemporal(options.log);
  try {
    const databaseUrl = await recreateDatabase(BENCH_STORE_DATABASE);
    const stack = await startBatonStack({ temporal, databaseUrl, taskQueue: options.taskQueue ?? 'baton-bench', workers: options.workers, api: options.api, ...(options.env ? { env: options.env } : {}), log: options.log });
    return {
      temporal,
      databaseUrl,
      stack,
      async stop() {
        await stack.stop();
        await temporal.stop();
      },
    };
  } catch (error) {
    await temporal.stop();
    throw error;
  }
}
