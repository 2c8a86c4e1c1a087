import path from 'node:path';
import { z } from 'zod';
import { actorLabelPattern } from './domain/actor.ts';
import { pauseTimeoutSchema } from './domain/duration.ts';
import { type LogFormat, type LogLevel, logLevels } from './observability/logger.ts';
import { slugSchema } from './domain/ids.ts';
import { EgressAllowListError, parseEgressAllowList } from './security/egress-allow-list.ts';
import { resolveTemporalSettings, temporalAddressPattern, type Problem, type TemporalSettings } from './temporal/temporal-settings.ts';

export type { TemporalSettings, TlsSettings } from './temporal/temporal-settings.ts';

/**
 * Every environment variable Baton reads, parsed once. Keys are the variable names, so a zod
 * issue's path names the variable that is wrong.
 */
const port = (fallback: number) =>
  z.coerce.number({ error: 'a port number' }).int('a whole port number').min(0, 'a port from 0 to 65535').max(65535, 'a port from 0 to 65535').default(fallback);

const optionalText = z.string().trim().optional().transform((value) => (value ? value : undefined));

const flag = z
  .enum(['true', 'false', '1', '0', 'yes', 'no', 'on', 'off'], { error: 'true or false' })
  .transform((value) => ['true', '1', 'yes', 'on'].includes(value))
  .optional();

const positiveInt = z.coerce.number({ error: 'a positive whole number' }).int('a positive whole number').positive('a positive whole number').optional();

const byteUnits = { b: 1, kb: 1000, kib: 1024, mb: 1_000_000, mib: 1_048_576 } as const;
const byteSize = z
  .string()
  .trim()
  .toLowerCase()
  .regex(/^\d+\s*(b|kb|kib|mb|mib)?$/, 'a size in bytes such as 1048576, 512kib or 1mib')
  .transform((value) => {
    const [, amount, unit] = /^(\d+)\s*([a-z]*)$/.exec(value) ?? [];
    return Number(amount) * byteUnits[(unit || 'b') as keyof typeof byteUnits];
  })
  .refine((bytes) => bytes > 0, 'a size above zero');

/** An API key's label: who holds it, as the audit trail of answers names them (e.g. `ci-bot`, `alice@example.com`). */
export const apiKeyLabelPattern = actorLabelPattern;

export interface ApiKeyEntry {
  key: string;
  project: string;
  label: string | null;
}

/**
 * One BATON_API_KEYS entry: `key:project` or `key:project:label`. Keys are opaque and may contain
 * colons, so the rule is (in order):
 * 1. an entry that ends with a colon, `key:project:`, has no label and its key is everything before
 *    the project, colons and all (the unambiguous way to list a key with one colon);
 * 2. an entry of exactly three parts whose middle is a project slug and whose last part is a label
 *    is `key:project:label`;
 * 3. anything else keeps the rule earlier versions had: the project is after the last colon, the
 *    key is everything before it, and there is no label.
 * So `key:project` and every entry of four or more parts read as they always did; only a key with
 * exactly one colon followed by a slug (`ab:cd:project`) now reads as labelled, and `ab:cd:project:`
 * says what it meant before.
 */
export function parseApiKeyEntry(entry: string): ApiKeyEntry | null {
  const slug = (text: string) => slugSchema.safeParse(text).success;
  // Split at the last colon as before: the key (trimmed at its ends only) and the project.
  const split = (text: string): ApiKeyEntry | null => {
    const colon = text.lastIndexOf(':');
    const key = colon > 0 ? text.slice(0, colon).trim() : '';
    const project = colon > 0 ? text.slice(colon + 1).trim() : '';
    return key && slug(project) ? { key, project, label: null } : null;
  };
  const parts = entry.split(':').map((part) => part.trim());
  if (parts.length >= 3 && parts.at(-1) === '') return split(entry.slice(0, entry.lastIndexOf(':')));
  if (parts.length === 3 && parts[0] && slug(parts[1]!) && apiKeyLabelPattern.test(parts[2]!)) {
    return { key: parts[0], project: parts[1]!, label: parts[2]! };
  }
  return split(entry);
}

/** `key1:projectA,key2:projectB:label` → the entries, in order (see parseApiKeyEntry for colons in keys). */
const apiKeys = z
  .string()
  .optional()
  .transform((value, ctx) => {
    const entries = new Map<string, ApiKeyEntry>();
    for (const text of (value ?? '').split(',').map((part) => part.trim()).filter(Boolean)) {
      const entry = parseApiKeyEntry(text);
      if (!entry) {
        ctx.addIssue({
          code: 'custom',
          message: 'entries of the form key:project or key:project:label, comma-separated (project: a slug of lower-case letters, digits, - and _; label: letters, digits, ., _, -, + and @, at most 64)',
        });
        return z.NEVER;
      }
      if (entries.has(entry.key)) {
        ctx.addIssue({ code: 'custom', message: 'the same key is listed twice' });
        return z.NEVER;
      }
      entries.set(entry.key, entry);
    }
    return entries;
  });

/** Project (or `*` for every project) → the worker's environment variables it may reference. */
export type SecretGrants = ReadonlyMap<string, ReadonlySet<string>>;
export const envVariableNamePattern = /^[A-Z_][A-Z0-9_]*$/;

/** `projA:PARTNER_TOKEN,*:SHARED_KEY` → grants; the project is before the first colon. */
const projectSecretGrants = z
  .string()
  .optional()
  .transform((value, ctx) => {
    const grants = new Map<string, Set<string>>();
    for (const entry of (value ?? '').split(',').map((part) => part.trim()).filter(Boolean)) {
      const colon = entry.indexOf(':');
      const project = colon > 0 ? entry.slice(0, colon).trim() : '';
      const variable = colon > 0 ? entry.slice(colon + 1).trim() : '';
      if ((project !== '*' && !slugSchema.safeParse(project).success) || !envVariableNamePattern.test(variable)) {
        ctx.addIssue({ code: 'custom', message: `entries of the form project:VARIABLE or *:VARIABLE, comma-separated (VARIABLE: upper-case letters, digits and _); "${entry}" is not one` });
        return z.NEVER;
      }
      if (isReservedVariable(variable)) {
        ctx.addIssue({ code: 'custom', message: `${variable} is Baton's own configuration and cannot be granted to a project` });
        return z.NEVER;
      }
      grants.set(project, (grants.get(project) ?? new Set()).add(variable));
    }
    return grants;
  });

const envSchema = z.object({
  PORT: port(3000),
  HOST: optionalText,
  BATON_HOME: z.string().trim().min(1, 'a folder path').default('.baton'),
  BATON_TASK_QUEUE: z.string().trim().min(1, 'a task queue name').default('baton-agent-runs'),
  TEMPORAL_ADDRESS: z
    .string()
    .trim()
    .regex(temporalAddressPattern, 'host:port, e.g. localhost:7233')
    .optional()
    .or(z.literal('').transform(() => undefined)),
  // Unset: the profile's namespace, else `default`.
  TEMPORAL_NAMESPACE: z.string().trim().min(1, 'a namespace').optional(),
  TEMPORAL_API_KEY: optionalText,
  TEMPORAL_TLS: flag,
  TEMPORAL_TLS_CLIENT_CERT_PATH: optionalText,
  TEMPORAL_TLS_CLIENT_KEY_PATH: optionalText,
  TEMPORAL_TLS_SERVER_CA_CERT_PATH: optionalText,
  TEMPORAL_TLS_CLIENT_CERT_DATA: optionalText,
  TEMPORAL_TLS_CLIENT_KEY_DATA: optionalText,
  TEMPORAL_TLS_SERVER_CA_CERT_DATA: optionalText,
  TEMPORAL_TLS_SERVER_NAME: optionalText,
  // A Temporal CLI config file (TOML) and the profile in it, as the Temporal CLI reads them.
  TEMPORAL_PROFILE: optionalText,
  TEMPORAL_CONFIG_FILE: optionalText,
  TEMPORAL_CLI_PATH: optionalText,
  BATON_TEMPORAL_PORT: port(7233),
  BATON_TEMPORAL_UI_PORT: port(8233),
  DATABASE_URL: z
    .string()
    .trim()
    .regex(/^postgres(ql)?:\/\//, 'a postgres:// or postgresql:// URL')
    .optional()
    .or(z.literal('').transform(() => undefined)),
  BATON_DATABASE_SCHEMA: z.string().trim().regex(/^[a-z_][a-z0-9_]{0,62}$/, 'a lower-case SQL identifier').optional(),
  BATON_API_KEYS: apiKeys,
  BATON_PROJECT_SECRETS: projectSecretGrants,
  BATON_PAUSE_TIMEOUT: z.string().trim().default('7d').transform((value, ctx) => {
    const parsed = pauseTimeoutSchema.safeParse(value);
    if (parsed.success) return parsed.data;
    ctx.addIssue({ code: 'custom', message: 'a duration such as "30s", "15m", "7d", or "never"' });
    return z.NEVER;
  }),
  BATON_MAX_BODY_BYTES: byteSize.default(1_048_576),
  OPENAI_BASE_URL: z.url({ error: 'an http(s) URL' }).optional().or(z.literal('').transform(() => undefined)),
  OPENAI_API_KEY: optionalText,
  // Read by the http_request tool itself; parsed here so a typo is named at start.
  BATON_HTTP_TOOL_ALLOW: z.string().trim().regex(/^[A-Za-z0-9.*:,\s_-]*$/, 'comma-separated host names, e.g. localhost,*.example.com').optional(),
  BATON_EGRESS_ALLOW: z.string().optional().transform((value, ctx) => {
    const entries = (value ?? '').split(',').map((entry) => entry.trim()).filter(Boolean);
    try {
      parseEgressAllowList(entries);
    } catch (error) {
      if (!(error instanceof EgressAllowListError)) throw error;
      ctx.addIssue({ code: 'custom', message: error.message });
      return z.NEVER;
    }
    return entries;
  }),
  BATON_WORKER_MAX_CONCURRENT_ACTIVITIES: positiveInt,
  BATON_WORKER_MAX_CONCURRENT_WORKFLOW_TASKS: positiveInt,
  // The SDK turns 1 into 2 with only a warning; 0 (no cache) replays every run at every workflow task.
  BATON_WORKER_MAX_CACHED_WORKFLOWS: z.coerce.number({ error: 'a whole number of runs, 2 or more' }).int('a whole number of runs, 2 or more').min(2, 'a whole number of runs, 2 or more').optional(),
  BATON_WORKER_MEMORY_SAVER: flag,
  BATON_WORKER_STACK_TRACES: flag,
  // At least 4: fewer frames and the SDK's stack trace no longer links a Promise.race to its parts.
  BATON_WORKER_STACK_FRAMES: z.coerce.number({ error: 'a whole number of frames, 4 to 100' }).int('a whole number of frames, 4 to 100').min(4, 'a whole number of frames, 4 to 100').max(100, 'a whole number of frames, 4 to 100').optional(),
  BATON_SHUTDOWN_GRACE_MS: z.coerce.number({ error: 'milliseconds' }).int('whole milliseconds').nonnegative('zero or more milliseconds').default(10_000),
  BATON_CANCEL_GRACE_MS: z.coerce.number({ error: 'milliseconds' }).int('whole milliseconds').nonnegative('zero or more milliseconds').max(600_000, 'at most 600000 (10 minutes)').default(5_000),
  LOG_LEVEL: z.string().trim().toLowerCase().transform((value) => value || 'info').pipe(z.enum(logLevels, { error: `one of ${logLevels.join(', ')}` })).default('info'),
  LOG_FORMAT: z.string().trim().toLowerCase().transform((value) => value || undefined).pipe(z.enum(['json', 'pretty'], { error: 'json or pretty' }).optional()).optional(),
  // Unset: no Prometheus exporter for the worker's Temporal metrics. 0 is refused: Core would not say which port it took.
  BATON_METRICS_PORT: z.coerce.number({ error: 'a port number' }).int('a whole port number').min(1, 'a port from 1 to 65535').max(65535, 'a port from 1 to 65535').optional()
    .or(z.literal('').transform(() => undefined)),
  BATON_METRICS_HOST: z.string().trim().min(1, 'a host name or address').default('0.0.0.0'),
  BATON_METRICS_TOKEN: optionalText,
  OTEL_EXPORTER_OTLP_ENDPOINT: z.url({ error: 'an http(s) URL, e.g. http://collector:4318' }).optional().or(z.literal('').transform(() => undefined)),
  OTEL_SERVICE_NAME: optionalText,
  BATON_MAX_EVENT_STREAMS: z.coerce.number({ error: 'a positive whole number' }).int('a positive whole number').positive('a positive whole number').default(1_000),
});

export type EnvVariable = keyof typeof envSchema.shape;
/** The variables Baton reads, for the README table and for tests that check it stays complete. */
export const configVariables = Object.keys(envSchema.shape) as EnvVariable[];

/**
 * Baton's own configuration, which no project may reference as a secret: BATON_*, TEMPORAL_*,
 * PG*, DATABASE_URL, OPENAI_BASE_URL and every variable above. OPENAI_API_KEY is the exception:
 * the operator may grant it, and it always goes to OPENAI_BASE_URL for agents without a baseUrl.
 */
export function isReservedVariable(name: string): boolean {
  if (name === 'OPENAI_API_KEY') return false;
  return /^(BATON_|TEMPORAL_|PG)/.test(name) || name === 'DATABASE_URL' || name === 'OPENAI_BASE_URL' || (configVariables as string[]).includes(name);
}

export interface Config {
  port: number;
  host: string;
  /** Absolute; embedded data (Temporal SQLite, PGlite, the Temporal CLI) lives here. */
  home: string;
  taskQueue: string;
  temporal: TemporalSettings;
  /** Unset: embedded PGlite under home. */
  databaseUrl?: string;
  /** PostgreSQL schema for Baton's tables (default `public`). */
  databaseSchema?: string;
  /** API key → project. Empty: no auth, one project `default`, API on 127.0.0.1 by default. */
  apiKeys: Map<string, string>;
  /** API key → its label (`key:project:label`), for the keys that have one: the audit trail names who answered by it. */
  apiKeyLabels: Map<string, string>;
  /** Which of the worker's environment variables each project's agents may reference. */
  projectSecrets: SecretGrants;
  pauseTimeout: z.infer<typeof pauseTimeoutSchema>;
  maxBodyBytes: number;
  openai: { baseUrl?: string; apiKey?: string };
  /** BATON_EGRESS_ALLOW entries: non-public destinations tenants' agents and tools may reach. */
  egressAllow: string[];
  worker: {
    maxConcurrentActivities?: number;
    maxConcurrentWorkflowTasks?: number;
    maxCachedWorkflows?: number;
    /** V8's memory saver mode for the worker's isolates (main and workflow thread): compact heaps for some GC CPU. */
    memorySaver: boolean;
    /** Stack frames kept per error, and with stack traces on per workflow promise, in the workflow thread (see workflowStackFrames). */
    stackFrames?: number;
    /** Whether workflow threads record a stack per promise for the Web UI's stack trace (off: see workflow-stack-traces.ts). */
    stackTraces: boolean;
  };
  shutdownGraceMs: number;
  /** The environment this was read from: agents, tools and model endpoints take their settings (OPENAI_BASE_URL, secretEnv, apiKeyEnv) from it. */
  env: Readonly<Record<string, string | undefined>>;
  /** How long a DELETE waits for a run to record `cancelled` before 202, or before terminating a run whose workflow task keeps failing. */
  cancelGraceMs: number;
  /** How many run event streams (SSE) one API process holds open at once; more get 503 too_many_streams. */
  maxEventStreams: number;
  /** LOG_FORMAT unset: pretty when stderr is a terminal, JSON lines otherwise. */
  log: { level: LogLevel; format?: LogFormat };
  metrics: {
    /** Where the worker's Temporal Core metrics are served for Prometheus (`host:port`); unset: not served. */
    workerBindAddress?: string;
    /** When set, GET /metrics on the API needs `Authorization: Bearer <token>`. */
    token?: string;
  };
  /** OTLP/HTTP traces of runs, activities and Temporal client calls, when an endpoint is set. */
  tracing?: { endpoint: string; serviceName?: string };
}

export class ConfigError extends Error {
  readonly variables: string[];
  constructor(problems: Array<{ variable: string; message: string }>) {
    super(`Invalid configuration:\n${problems.map((p) => `  ${p.variable}: ${p.message}`).join('\n')}`);
    this.name = 'ConfigError';
    this.variables = problems.map((p) => p.variable);
  }
}

/** Parses the environment once; throws a ConfigError naming every bad variable. */
export function loadConfig(env: NodeJS.ProcessEnv = process.env): Config {
  const parsed = envSchema.safeParse(env);
  if (!parsed.success) {
    throw new ConfigError(parsed.error.issues.map((issue) => ({
      variable: String(issue.path[0] ?? 'environment'),
      message: `${issue.message} (got ${describeValue(String(issue.path[0]), env[String(issue.path[0])])})`,
    })));
  }
  const e = parsed.data;
  const problems: Problem[] = [];
  const temporal = resolveTemporalSettings(e, env, problems);
  if (problems.length > 0) throw new ConfigError(problems);

  return {
    port: e.PORT,
    // Without API keys anyone who reaches the port is `default`: only this machine may.
    host: e.HOST ?? (e.BATON_API_KEYS.size > 0 ? '0.0.0.0' : '127.0.0.1'),
    home: path.resolve(e.BATON_HOME),
    taskQueue: e.BATON_TASK_QUEUE,
    temporal: {
      ...temporal,
      cliPath: e.TEMPORAL_CLI_PATH,
      devServerPort: e.BATON_TEMPORAL_PORT,
      devServerUiPort: e.BATON_TEMPORAL_UI_PORT,
    },
    databaseUrl: e.DATABASE_URL,
    databaseSchema: e.BATON_DATABASE_SCHEMA,
    apiKeys: new Map([...e.BATON_API_KEYS.values()].map((entry) => [entry.key, entry.project])),
    apiKeyLabels: new Map([...e.BATON_API_KEYS.values()].flatMap((entry) => (entry.label === null ? [] : [[entry.key, entry.label] as const]))),
    projectSecrets: e.BATON_PROJECT_SECRETS,
    pauseTimeout: e.BATON_PAUSE_TIMEOUT,
    maxBodyBytes: e.BATON_MAX_BODY_BYTES,
    openai: { baseUrl: e.OPENAI_BASE_URL, apiKey: e.OPENAI_API_KEY },
    egressAllow: e.BATON_EGRESS_ALLOW,
    worker: {
      maxConcurrentActivities: e.BATON_WORKER_MAX_CONCURRENT_ACTIVITIES,
      maxConcurrentWorkflowTasks: e.BATON_WORKER_MAX_CONCURRENT_WORKFLOW_TASKS,
      maxCachedWorkflows: e.BATON_WORKER_MAX_CACHED_WORKFLOWS,
      memorySaver: e.BATON_WORKER_MEMORY_SAVER ?? true,
      stackFrames: e.BATON_WORKER_STACK_FRAMES,
      stackTraces: e.BATON_WORKER_STACK_TRACES ?? false,
    },
    shutdownGraceMs: e.BATON_SHUTDOWN_GRACE_MS,
    env,
    cancelGraceMs: e.BATON_CANCEL_GRACE_MS,
    maxEventStreams: e.BATON_MAX_EVENT_STREAMS,
    log: { level: e.LOG_LEVEL, ...(e.LOG_FORMAT ? { format: e.LOG_FORMAT } : {}) },
    metrics: {
      ...(e.BATON_METRICS_PORT ? { workerBindAddress: `${e.BATON_METRICS_HOST.includes(':') ? `[${e.BATON_METRICS_HOST}]` : e.BATON_METRICS_HOST}:${e.BATON_METRICS_PORT}` } : {}),
      ...(e.BATON_METRICS_TOKEN ? { token: e.BATON_METRICS_TOKEN } : {}),
    },
    ...(e.OTEL_EXPORTER_OTLP_ENDPOINT ? { tracing: { endpoint: e.OTEL_EXPORTER_OTLP_ENDPOINT, ...(e.OTEL_SERVICE_NAME ? { serviceName: e.OTEL_SERVICE_NAME } : {}) } } : {}),
  };
}

const secretVariables = new Set(['BATON_API_KEYS', 'TEMPORAL_API_KEY', 'TEMPORAL_TLS_CLIENT_KEY_DATA', 'OPENAI_API_KEY', 'DATABASE_URL', 'BATON_METRICS_TOKEN']);

// Secrets never reach a log: for those, say only that a value was there.
function describeValue(variable: string, value: string | undefined): string {
  if (value === undefined) return 'nothing';
  if (secretVariables.has(variable)) return 'a value, not shown because it is secret';
  if (value.length > 40) return `"${value.slice(0, 37)}..."`;
  return JSON.stringify(value);
}
