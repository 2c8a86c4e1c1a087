import type { Logger as TemporalLogger, LogLevel as TemporalLogLevel, LogMetadata } from '@temporalio/common';
import type { RuntimeOptions } from '@temporalio/worker';
import { errorFields, type Logger } from './logger.ts';

const pinoLevel = { TRACE: 'trace', DEBUG: 'debug', INFO: 'info', WARN: 'warn', ERROR: 'error' } as const;

/**
 * The Temporal SDK's Runtime logger (worker, activity and workflow lines, and Core's forwarded ones)
 * writing through Baton's logger. Errors in its metadata become type and message (stack at debug only).
 */
export function temporalLogger(logger: Logger): TemporalLogger {
  const write = (level: TemporalLogLevel, message: string, meta?: LogMetadata) => {
    const method = pinoLevel[level] ?? 'info';
    if (!logger.isLevelEnabled(method)) return;
    logger[method](meta ? fieldsOf(logger, meta) : {}, message);
  };
  return {
    log: write,
    trace: (message, meta) => write('TRACE', message, meta),
    debug: (message, meta) => write('DEBUG', message, meta),
    info: (message, meta) => write('INFO', message, meta),
    warn: (message, meta) => write('WARN', message, meta),
    error: (message, meta) => write('ERROR', message, meta),
  };
}

function fieldsOf(logger: Logger, meta: LogMetadata): Record<string, unknown> {
  const fields: Record<string, unknown> = {};
  for (const [key, value] of Object.entries(meta)) fields[key] = value instanceof Error ? errorFields(logger, value) : value;
  return fields;
}

/**
 * What `baton` installs as the process's Temporal Runtime (once per process): its logger, Core's
 * log lines forwarded to it, and Core's Prometheus exporter when a bind address is given.
 */
export function temporalRuntimeOptions(logger: Logger, options: { metricsBindAddress?: string }): RuntimeOptions {
  const level = logger.level;
  // Core's INFO is chatty (every poller); its warnings and errors are what an operator needs below debug.
  const core: TemporalLogLevel = level === 'trace' ? 'TRACE' : level === 'debug' ? 'DEBUG' : level === 'error' || level === 'fatal' || level === 'silent' ? 'ERROR' : 'WARN';
  return {
    // We stop the worker ourselves, in order with the API and the dev server; the SDK must not race us.
    shutdownSignals: [],
    logger: temporalLogger(logger.child({ component: 'temporal' })),
    telemetryOptions: {
      logging: { forward: {}, filter: { core, other: 'ERROR' } },
      ...(options.metricsBindAddress ? { metrics: { prometheus: { bindAddress: options.metricsBindAddress } } } : {}),
    },
  };
}
