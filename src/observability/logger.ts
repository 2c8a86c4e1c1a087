import { pino, type DestinationStream, type Logger as PinoLogger } from 'pino';
import { prettyFactory } from 'pino-pretty';

export type Logger = PinoLogger;
export const logLevels = ['trace', 'debug', 'info', 'warn', 'error', 'fatal', 'silent'] as const;
export type LogLevel = (typeof logLevels)[number];
export type LogFormat = 'json' | 'pretty';

/**
 * Fields that may hold a credential or an agent's configuration at the top of a line or nested up
 * to two levels below it: Baton's own lines never carry them, this catches what a future line or a library adds.
 */
export const redactedPaths = ['authorization', 'cookie', 'config', 'headers', 'apiKey', 'secret', 'password', 'token']
  .flatMap((key) => [key, `*.${key}`, `*.*.${key}`]);

export interface LoggerOptions {
  level: LogLevel;
  format: LogFormat;
  /** Where lines go; default stderr (stdout carries the start banner). */
  destination?: DestinationStream;
}

/** The process's one logger: JSON lines, or pino-pretty's coloured lines for a person at a terminal. */
export function createLogger(options: LoggerOptions): Logger {
  const settings = {
    level: options.level,
    base: { pid: process.pid },
    // "level":"warn" and an ISO time: readable by a person and by any log shipper without pino's tables.
    formatters: { level: (label: string) => ({ level: label }) },
    timestamp: pino.stdTimeFunctions.isoTime,
    redact: { paths: redactedPaths, censor: '[redacted]' },
  };
  const destination = options.destination ?? pino.destination({ dest: 2, sync: true });
  if (options.format === 'pretty') {
    // Formatted in this thread, line by line: no worker thread to lose lines in when the process exits.
    const prettify = prettyFactory({ colorize: !options.destination && Boolean(process.stderr.isTTY), ignore: 'pid,hostname' });
    return pino(settings, { write: (line: string) => destination.write(prettify(line)) });
  }
  return pino(settings, destination);
}

/** LOG_FORMAT, or pretty when stderr is a terminal and JSON lines otherwise (containers, files, pipes). */
export function defaultLogFormat(format: LogFormat | undefined): LogFormat {
  return format ?? (process.stderr.isTTY ? 'pretty' : 'json');
}

/** A logger that writes nothing, for embedding and tests that pass none. */
export function silentLogger(): Logger {
  return pino({ level: 'silent' });
}

/**
 * An error as a log field: its type and message, and the stack only when the logger is at debug or
 * below. Never the error's own fields: a driver's query parameters or a client's request may carry secrets.
 */
export function errorFields(logger: Logger, error: unknown): { type: string; message: string; stack?: string } {
  const e = error instanceof Error ? error : new Error(String(error));
  const fields: { type: string; message: string; stack?: string } = { type: e.name, message: e.message };
  if (logger.isLevelEnabled('debug') && e.stack) fields.stack = e.stack;
  return fields;
}

// Lines of Baton's parts that report a problem; everything else they say is progress (info).
const problemLine = /^warning: |failed|did not stop|still stopping|abandoned|lost|gave up|cannot|not ready|exiting now/;

/** Adapts the `(line) => void` callback that Baton's parts take to a logger, a problem line at warn. */
export function lineLog(logger: Logger): (line: string) => void {
  return (line) => {
    if (problemLine.test(line)) logger.warn(line);
    else logger.info(line);
  };
}
