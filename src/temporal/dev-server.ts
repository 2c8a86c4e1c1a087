import { spawn, type ChildProcess } from 'node:child_process';
import { mkdir } from 'node:fs/promises';
import net from 'node:net';
import path from 'node:path';
import { Connection } from '@temporalio/client';
import { removeDevServerRecord, stopLeftoverDevServer, writeDevServerRecord } from './dev-server-pid-file.ts';
import { startWatchdog } from './dev-server-watchdog.ts';
import { batonSearchAttributes } from './search-attributes.ts';

export interface DevServerOptions {
  cliPath: string;
  /** SQLite file; runs survive a restart when it is kept. */
  dbFile: string;
  ip?: string;
  port: number;
  uiPort: number;
  /** Disable the Web UI (tests). */
  headless?: boolean;
  namespace?: string;
  readyTimeoutMs?: number;
  log?: (line: string) => void;
  /** SQLite pragmas (`name=value`); defaults to devServerSqlitePragmas. */
  sqlitePragmas?: readonly string[];
  /**
   * Where to record the running server (pid, port, command). A server an earlier, killed process
   * recorded there is stopped before this one starts.
   */
  pidFile?: string;
}

/**
 * WAL instead of the rollback journal, and fsync at checkpoints rather than every commit: every
 * workflow task, activity and visibility update is a SQLite transaction. A crash of the process
 * loses nothing; only a power loss can lose the last commits, which a dev server can afford.
 */
export const devServerSqlitePragmas: readonly string[] = ['journal_mode=wal', 'synchronous=normal'];

export interface DevServer {
  address: string;
  uiUrl: string | null;
  namespace: string;
  pid: number;
  /** Stops the server; resolves once the process has exited. Safe to call twice. */
  stop(): Promise<void>;
}

export class DevServerError extends Error {
  readonly output: string;
  constructor(message: string, output = '') {
    super(output ? `${message}\n--- temporal output (last lines) ---\n${output}` : message);
    this.name = 'DevServerError';
    this.output = output;
  }
}

// Dynamic config the engine relies on: eager activities cut a round trip per agent step;
// multi-operation is update-with-start (start-and-wait in one call).
const dynamicConfig = [
  'system.enableActivityEagerExecution=true',
  'frontend.enableExecuteMultiOperation=true',
  'frontend.enableUpdateWorkflowExecution=true',
  'frontend.enableUpdateWorkflowExecutionAsyncAccepted=true',
  // The dev server has one history shard, and each shard's transfer queue (which hands a new workflow
  // task or activity to matching) polls at most 20 times a second by default: every workflow task that
  // followed a start or an activity waited up to 50 ms for it (start leg p50 72 -> 27 ms without the cap).
  // Visibility's queue has the same cap; lifting it makes lists see a run's new status sooner.
  'history.transferProcessorMaxPollRPS=10000',
  'history.visibilityProcessorMaxPollRPS=10000',
];

/** Every live dev server of this process, so an exiting process never leaves one behind. */
const live = new Set<ChildProcess>();
let exitHookInstalled = false;
function installExitHook(): void {
  if (exitHookInstalled) return;
  exitHookInstalled = true;
  process.on('exit', () => {
    for (const child of live) signalGroup(child, 'SIGKILL');
  });
}

// The server runs in its own process group: a wrapper script's children go down with it, and a
// terminal's Ctrl-C reaches us first so we stop things in order.
function signalGroup(child: ChildProcess, signal: NodeJS.Signals): void {
  if (child.pid === undefined) return;
  try {
    process.kill(-child.pid, signal);
  } catch {
    child.kill(signal);
  }
}

export async function startDevServer(options: DevServerOptions): Promise<DevServer> {
  const ip = options.ip ?? '127.0.0.1';
  const namespace = options.namespace ?? 'default';
  const log = options.log ?? (() => {});
  if (options.pidFile) await stopLeftoverDevServer(options.pidFile, options.dbFile, log);
  await assertPortFree(ip, options.port, 'Temporal gRPC');
  if (!options.headless) await assertPortFree(ip, options.uiPort, 'Temporal UI');
  await mkdir(path.dirname(options.dbFile), { recursive: true });

  const args = [
    'server', 'start-dev',
    '--ip', ip,
    '--port', String(options.port),
    '--db-filename', options.dbFile,
    '--namespace', namespace,
    '--log-level', 'warn',
    ...(options.headless ? ['--headless'] : ['--ui-port', String(options.uiPort), '--ui-disable-news-fetch']),
    ...Object.entries(batonSearchAttributes).flatMap(([name, type]) => ['--search-attribute', `${name}=${type}`]),
    ...dynamicConfig.flatMap((value) => ['--dynamic-config-value', value]),
    ...(options.sqlitePragmas ?? devServerSqlitePragmas).flatMap((pragma) => ['--sqlite-pragma', pragma]),
  ];
  log(`starting ${options.cliPath} ${args.join(' ')}`);

  const child = spawn(options.cliPath, args, { stdio: ['ignore', 'pipe', 'pipe'], detached: true });
  installExitHook();
  live.add(child);
  // The exit hook cannot run on SIGKILL; the watchdog and the pid file cover that.
  const watchdog = child.pid === undefined ? undefined : startWatchdog(child.pid);
  let output = '';
  const keep = (chunk: Buffer) => {
    output = (output + chunk.toString()).slice(-8000);
  };
  child.stdout?.on('data', keep);
  child.stderr?.on('data', keep);
  const exited = new Promise<number | null>((resolve) => {
    child.on('exit', (code) => { live.delete(child); resolve(code); });
    child.on('error', (error) => { live.delete(child); output += error.message; resolve(-1); });
  });

  const address = `${ip}:${options.port}`;
  const stop = async () => {
    if (child.exitCode === null && child.signalCode === null && live.has(child)) {
      signalGroup(child, 'SIGTERM');
      const timer = setTimeout(() => signalGroup(child, 'SIGKILL'), 5000);
      await exited;
      clearTimeout(timer);
    }
    await exited;
    // Anything the server left in its group (a wrapper's children) goes too.
    signalGroup(child, 'SIGKILL');
    watchdog?.release();
    if (options.pidFile && child.pid !== undefined) await removeDevServerRecord(options.pidFile, child.pid);
  };

  try {
    if (options.pidFile && child.pid !== undefined) {
      await writeDevServerRecord(options.pidFile, {
        pid: child.pid,
        ownerPid: process.pid,
        ...(watchdog?.pid === undefined ? {} : { watchdogPid: watchdog.pid }),
        port: options.port,
        dbFile: options.dbFile,
        cliPath: options.cliPath,
        startedAt: new Date().toISOString(),
      });
    }
    await waitUntilReady(address, namespace, options.readyTimeoutMs ?? 60_000, exited, () => output);
  } catch (error) {
    await stop();
    throw error;
  }
  return {
    address,
    uiUrl: options.headless ? null : `http://${ip === '0.0.0.0' ? '127.0.0.1' : ip}:${options.uiPort}`,
    namespace,
    pid: child.pid ?? -1,
    stop,
  };
}

async function waitUntilReady(
  address: string,
  namespace: string,
  timeoutMs: number,
  exited: Promise<number | null>,
  output: () => string,
): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  let exitCode: number | null | undefined;
  void exited.then((code) => { exitCode = code; });
  let lastError = '';
  while (Date.now() < deadline) {
    if (exitCode !== undefined) {
      throw new DevServerError(`the Temporal dev server exited (code ${exitCode}) before it was ready`, tail(output()));
    }
    try {
      const connection = await Connection.connect({ address, connectTimeout: 1000 });
      try {
        await connection.workflowService.describeNamespace({ namespace });
        return;
      } finally {
        await connection.close();
      }
    } catch (error) {
      lastError = error instanceof Error ? error.message : String(error);
    }
    await new Promise((resolve) => setTimeout(resolve, 250));
  }
  throw new DevServerError(
    `the Temporal dev server at ${address} was not ready within ${timeoutMs} ms (last error: ${lastError})`,
    tail(output()),
  );
}

function tail(text: string): string {
  return text.trim().split('\n').slice(-15).join('\n');
}

export async function assertPortFree(host: string, port: number, what: string): Promise<void> {
  await new Promise<void>((resolve, reject) => {
    const server = net.createServer();
    server.once('error', (error: NodeJS.ErrnoException) => {
      reject(new DevServerError(
        error.code === 'EADDRINUSE'
          ? `port ${port} (${what}) on ${host} is already in use: stop what holds it or choose another port`
          : `cannot listen on ${host}:${port} (${what}): ${error.message}`,
      ));
    });
    server.listen(port, host, () => server.close(() => resolve()));
  });
}

/** A port the OS says is free right now. */
export async function freePort(host = '127.0.0.1'): Promise<number> {
  return await new Promise((resolve, reject) => {
    const server = net.createServer();
    server.once('error', reject);
    server.listen(0, host, () => {
      const { port } = server.address() as net.AddressInfo;
      server.close(() => resolve(port));
    });
  });
}
