import { Runtime as TemporalRuntime } from '@temporalio/worker';
import { loadConfig } from '../config.ts';
import { createLogger, defaultLogFormat, lineLog } from '../observability/logger.ts';
import { temporalRuntimeOptions } from '../observability/temporal-runtime.ts';
import { runsCommand } from './runs-command.ts';
import { settingsCommand } from './settings-command.ts';
import { closeMarginMs, createRuntime, type Runtime, type RuntimeRole } from './runtime.ts';

export interface CommandIo {
  env: NodeJS.ProcessEnv;
  out: (text: string) => void;
  err: (text: string) => void;
}

/** A `baton <name>` command: takes the remaining arguments, resolves to the exit code. */
export type Command = (args: string[], io: CommandIo) => Promise<number>;

/** The dispatch table of `baton`; another command is one more entry here. */
export const commands: Record<string, { summary: string; run: Command }> = {
  start: { summary: 'everything in one process: embedded Temporal dev server, worker and API', run: (args, io) => serve('all', args, io) },
  api: { summary: 'the HTTP API only, against TEMPORAL_ADDRESS', run: (args, io) => serve('api', args, io) },
  worker: { summary: 'a worker only, against TEMPORAL_ADDRESS', run: (args, io) => serve('worker', args, io) },
  runs: { summary: 'operator commands over the API at BATON_URL: runs list | get | resume | fork | cancel | watch', run: runsCommand },
  settings: { summary: 'the API key\'s project settings (pause timeout, reminders): settings get | set FIELD=VALUE…', run: settingsCommand },
};

export function usage(): string {
  const width = Math.max(...Object.keys(commands).map((name) => name.length));
  return ['usage: baton <command>', '', ...Object.entries(commands).map(([name, c]) => `  ${name.padEnd(width)}  ${c.summary}`),
    '', 'Configuration comes from environment variables; see README.md.'].join('\n');
}

let temporalRuntimeInstalled = false;

/** Runs a long-lived role until SIGINT/SIGTERM, then stops everything it started. */
async function serve(role: RuntimeRole, args: string[], io: CommandIo): Promise<number> {
  if (args.length > 0) {
    io.err(`baton ${role === 'all' ? 'start' : role} takes no arguments (configuration is read from the environment)`);
    return 2;
  }
  const config = loadConfig(io.env);
  // Log lines go where errors go (stderr); stdout carries the banner only.
  const logger = createLogger({
    level: config.log.level,
    format: defaultLogFormat(config.log.format),
    destination: { write: (line: string) => io.err(line.endsWith('\n') ? line.slice(0, -1) : line) },
  }).child({ role: role === 'all' ? 'start' : role });
  if (!temporalRuntimeInstalled) {
    // The API role makes no Core connection: Core's metrics exporter belongs to the worker's process.
    TemporalRuntime.install(temporalRuntimeOptions(logger, { metricsBindAddress: role === 'api' ? undefined : config.metrics.workerBindAddress }));
    temporalRuntimeInstalled = true;
  }
  const log = lineLog(logger);
  const stopSignal = onceSignalled();
  const runtime = await createRuntime(config, { role, logger });
  io.out(banner(role, runtime));

  const outcome = await Promise.race([
    stopSignal.promise.then((signal) => ({ signal })),
    runtime.done.then(() => ({ crashed: new Error('the worker stopped') }), (error: unknown) => ({ crashed: error as Error })),
  ]);
  if ('signal' in outcome) log(`${outcome.signal} received, stopping`);
  else log(`stopping: ${outcome.crashed.message}`);
  // A second Ctrl-C while stopping means "now".
  stopSignal.onAgain(() => { log('stopping immediately'); process.exit(130); });
  // Each part's stop is bounded; this is the backstop should one of them not honour its bound.
  const hardStopMs = config.shutdownGraceMs + closeMarginMs;
  const hardStop = setTimeout(() => { log(`still stopping after ${hardStopMs} ms; exiting now`); process.exit(1); }, hardStopMs);
  await runtime.close();
  clearTimeout(hardStop);
  stopSignal.dispose();
  log('stopped');
  return 'signal' in outcome ? 0 : 1;
}

function banner(role: RuntimeRole, runtime: Runtime): string {
  const rows: Array<[string, string | undefined]> = [
    ['API', runtime.urls.api],
    ['Listening', runtime.urls.apiListening],
    ['Docs', runtime.urls.docs],
    ['Temporal UI', runtime.urls.temporalUi],
    ['Temporal', `${runtime.urls.temporal} (namespace ${runtime.config.temporal.namespace}, task queue ${runtime.config.taskQueue})`],
    ['Metrics', runtime.urls.api && `${runtime.urls.api}/metrics`],
    ['Core metrics', role !== 'api' && runtime.config.metrics.workerBindAddress ? `http://${reachable(runtime.config.metrics.workerBindAddress)}/metrics` : undefined],
  ];
  const title = role === 'worker' ? 'Baton worker is running' : 'Baton is running';
  return [title, ...rows.filter(([, value]) => value).map(([label, value]) => `  ${label.padEnd(12)} ${value}`), 'Press Ctrl-C to stop.'].join('\n');
}

// A wildcard bind is reachable on loopback; a URL to 0.0.0.0 does not work everywhere.
function reachable(bindAddress: string): string {
  return bindAddress.replace(/^(0\.0\.0\.0|\[::\]):/, '127.0.0.1:');
}

function onceSignalled() {
  const signals: NodeJS.Signals[] = ['SIGINT', 'SIGTERM'];
  let resolve!: (signal: NodeJS.Signals) => void;
  const promise = new Promise<NodeJS.Signals>((r) => { resolve = r; });
  let again: (() => void) | undefined;
  let seen = false;
  const handler = (signal: NodeJS.Signals) => {
    if (seen) { again?.(); return; }
    seen = true;
    resolve(signal);
  };
  for (const signal of signals) process.on(signal, handler);
  return {
    promise,
    onAgain: (callback: () => void) => { again = callback; },
    dispose: () => { for (const signal of signals) process.off(signal, handler); },
  };
}
