import path from 'node:path';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { ConfigError, configVariables, isReservedVariable, loadConfig, parseApiKeyEntry } from '../../src/config.ts';

function errorOf(env: NodeJS.ProcessEnv): ConfigError {
  try {
    loadConfig(env);
  } catch (error) {
    if (error instanceof ConfigError) return error;
    throw error;
  }
  throw new Error('loadConfig accepted the environment');
}

describe('loadConfig', () => {
  it('uses embedded defaults when nothing is set', () => {
    const config = loadConfig({});
    expect(config.port).toBe(3000);
    expect(config.host).toBe('127.0.0.1');
    expect(config.home).toBe(path.resolve('.baton'));
    expect(config.taskQueue).toBe('baton-agent-runs');
    expect(config.temporal).toEqual({
      address: undefined,
      namespace: 'default',
      apiKey: undefined,
      tls: false,
      cliPath: undefined,
      devServerPort: 7233,
      devServerUiPort: 8233,
    });
    expect(config.databaseUrl).toBeUndefined();
    expect(config.apiKeys.size).toBe(0);
    expect(config.pauseTimeout).toBe('7d');
    expect(config.maxBodyBytes).toBe(1_048_576);
    expect(config.shutdownGraceMs).toBe(10_000);
  });

  it('reads every variable it documents', () => {
    const config = loadConfig({
      PORT: '8080',
      HOST: '::',
      BATON_HOME: '/tmp/baton-home',
      BATON_TASK_QUEUE: 'runs-v2',
      TEMPORAL_ADDRESS: 'temporal:7233',
      TEMPORAL_NAMESPACE: 'prod',
      TEMPORAL_CLI_PATH: '/opt/temporal',
      BATON_TEMPORAL_PORT: '17233',
      BATON_TEMPORAL_UI_PORT: '18233',
      DATABASE_URL: 'postgres://baton:secret@db:5432/baton',
      BATON_API_KEYS: 'k1:alpha, k2:beta',
      BATON_PAUSE_TIMEOUT: 'never',
      BATON_MAX_BODY_BYTES: '512kib',
      OPENAI_BASE_URL: 'http://127.0.0.1:11434/v1',
      OPENAI_API_KEY: 'sk-test',
      BATON_WORKER_MAX_CONCURRENT_ACTIVITIES: '50',
      BATON_WORKER_MAX_CONCURRENT_WORKFLOW_TASKS: '20',
      BATON_WORKER_MAX_CACHED_WORKFLOWS: '1000',
      BATON_WORKER_MEMORY_SAVER: 'false',
      BATON_WORKER_STACK_FRAMES: '10',
      BATON_WORKER_STACK_TRACES: 'on',
      BATON_SHUTDOWN_GRACE_MS: '2500',
    });
    expect(config.port).toBe(8080);
    expect(config.host).toBe('::');
    expect(config.home).toBe('/tmp/baton-home');
    expect(config.taskQueue).toBe('runs-v2');
    expect(config.temporal.address).toBe('temporal:7233');
    expect(config.temporal.namespace).toBe('prod');
    expect(config.temporal.cliPath).toBe('/opt/temporal');
    expect(config.temporal.devServerPort).toBe(17233);
    expect(config.temporal.devServerUiPort).toBe(18233);
    expect(config.databaseUrl).toBe('postgres://baton:secret@db:5432/baton');
    expect([...config.apiKeys]).toEqual([['k1', 'alpha'], ['k2', 'beta']]);
    expect(config.pauseTimeout).toBe('never');
    expect(config.maxBodyBytes).toBe(512 * 1024);
    expect(config.openai).toEqual({ baseUrl: 'http://127.0.0.1:11434/v1', apiKey: 'sk-test' });
    expect(config.worker).toEqual({ maxConcurrentActivities: 50, maxConcurrentWorkflowTasks: 20, maxCachedWorkflows: 1000, memorySaver: false, stackFrames: 10, stackTraces: true });
    expect(config.shutdownGraceMs).toBe(2500);
  });

  it('listens on all interfaces by default only when API keys protect the API', () => {
    expect(loadConfig({ BATON_API_KEYS: 'k:p' }).host).toBe('0.0.0.0');
    expect(loadConfig({ BATON_API_KEYS: '' }).host).toBe('127.0.0.1');
    expect(loadConfig({ BATON_API_KEYS: 'k:p', HOST: '127.0.0.1' }).host).toBe('127.0.0.1');
  });

  it('splits an API key from its project at the last colon', () => {
    expect([...loadConfig({ BATON_API_KEYS: 'a:b:c:proj' }).apiKeys]).toEqual([['a:b:c', 'proj']]);
  });

  it('reads key:project:label entries as labelled keys, beside plain key:project ones', () => {
    const config = loadConfig({ BATON_API_KEYS: 'k1:alpha, k2:beta:ci-bot ,k3:beta:Alice.Smith@example.com' });
    expect([...config.apiKeys]).toEqual([['k1', 'alpha'], ['k2', 'beta'], ['k3', 'beta']]);
    expect([...config.apiKeyLabels]).toEqual([['k2', 'ci-bot'], ['k3', 'Alice.Smith@example.com']]);
    expect(loadConfig({ BATON_API_KEYS: 'k1:alpha' }).apiKeyLabels.size).toBe(0);
    expect(loadConfig({}).apiKeyLabels.size).toBe(0);
  });

  it('keeps the project after the last colon for keys with colons, and takes key:project: as "no label"', () => {
    // Four or more parts, or a middle part that cannot be a project: read as before.
    expect(parseApiKeyEntry('a:b:c:proj')).toEqual({ key: 'a:b:c', project: 'proj', label: null });
    expect(parseApiKeyEntry('sk:Live:proj')).toEqual({ key: 'sk:Live', project: 'proj', label: null });
    expect(parseApiKeyEntry('k:Proj:label')).toEqual({ key: 'k:Proj', project: 'label', label: null });
    expect(parseApiKeyEntry(' padded key :proj ')).toEqual({ key: 'padded key', project: 'proj', label: null });
    // Exactly three parts, a project in the middle: labelled; a trailing colon says there is no label.
    expect(parseApiKeyEntry('ab:cd:proj')).toEqual({ key: 'ab', project: 'cd', label: 'proj' });
    expect(parseApiKeyEntry('ab:cd:proj:')).toEqual({ key: 'ab:cd', project: 'proj', label: null });
    expect(parseApiKeyEntry('a:b:c:proj:')).toEqual({ key: 'a:b:c', project: 'proj', label: null });
    expect(parseApiKeyEntry('k:proj:')).toEqual({ key: 'k', project: 'proj', label: null });
    // Not entries: no key, no project, a label that is neither a label nor (as before) a project.
    for (const bad of ['k', ':proj', 'k:', 'k::', ':proj:', 'k:proj:two words', `k:proj:${'l'.repeat(65)}`, 'k:proj:-label']) {
      expect(parseApiKeyEntry(bad), bad).toBeNull();
    }
  });

  it('reads every entry that worked before as before, except a three-part one whose last two parts are project and label', () => {
    const earlierRule = (entry: string) => {
      const colon = entry.lastIndexOf(':');
      const key = colon > 0 ? entry.slice(0, colon).trim() : '';
      const project = colon > 0 ? entry.slice(colon + 1).trim() : '';
      return key && /^[a-z0-9][a-z0-9_-]{0,63}$/.test(project) ? { key, project, label: null } : null;
    };
    const part = fc.oneof(fc.stringMatching(/^[a-z0-9][a-z0-9_-]{0,8}$/), fc.string({ maxLength: 8 }).filter((text) => !/[,:]/.test(text)));
    fc.assert(fc.property(fc.array(part, { minLength: 1, maxLength: 5 }), (parts) => {
      const entry = parts.join(':');
      const before = earlierRule(entry);
      const now = parseApiKeyEntry(entry);
      const labelled = parts.length === 3 && now?.label !== null && now?.label !== undefined;
      if (before && !labelled) expect(now).toEqual(before);
      // Plain key:project entries never change.
      if (parts.length === 2) expect(now).toEqual(before);
    }), { numRuns: 2000 });
  });

  it('turns TLS on for an API key, for certificates and on request', () => {
    expect(loadConfig({ TEMPORAL_API_KEY: 'cloud-key' }).temporal.tls).toEqual({});
    expect(loadConfig({ TEMPORAL_API_KEY: 'cloud-key', TEMPORAL_TLS: 'false' }).temporal.tls).toBe(false);
    expect(loadConfig({ TEMPORAL_TLS: 'true' }).temporal.tls).toEqual({});
    expect(loadConfig({ TEMPORAL_TLS_SERVER_NAME: 'temporal.internal' }).temporal.tls).toEqual({ serverName: 'temporal.internal' });
    expect(loadConfig({
      TEMPORAL_TLS_CLIENT_CERT_PATH: '/certs/client.pem',
      TEMPORAL_TLS_CLIENT_KEY_PATH: '/certs/client.key',
      TEMPORAL_TLS_SERVER_CA_CERT_PATH: '/certs/ca.pem',
    }).temporal.tls).toEqual({ clientCertPath: '/certs/client.pem', clientKeyPath: '/certs/client.key', serverCaCertPath: '/certs/ca.pem' });
  });

  it('accepts byte sizes with and without units', () => {
    expect(loadConfig({ BATON_MAX_BODY_BYTES: '2048' }).maxBodyBytes).toBe(2048);
    expect(loadConfig({ BATON_MAX_BODY_BYTES: '1MiB' }).maxBodyBytes).toBe(1_048_576);
    expect(loadConfig({ BATON_MAX_BODY_BYTES: '2mb' }).maxBodyBytes).toBe(2_000_000);
  });

  it('reads BATON_EGRESS_ALLOW as trimmed entries, none when unset, and names a bad entry', () => {
    expect(loadConfig({ BATON_EGRESS_ALLOW: ' localhost:11434, 10.0.0.0/8 ,*.svc.cluster.local,,' }).egressAllow).toEqual(['localhost:11434', '10.0.0.0/8', '*.svc.cluster.local']);
    expect(loadConfig({}).egressAllow).toEqual([]);
    expect(errorOf({ BATON_EGRESS_ALLOW: 'localhost,10.0.0.0/33' }).message).toContain('"10.0.0.0/33" is not an egress allow entry');
  });

  it('bounds the open event streams of an API process at BATON_MAX_EVENT_STREAMS, 1000 by default', () => {
    expect(loadConfig({}).maxEventStreams).toBe(1_000);
    expect(loadConfig({ BATON_MAX_EVENT_STREAMS: '25' }).maxEventStreams).toBe(25);
    for (const value of ['0', '-3', 'many', '2.5']) expect(errorOf({ BATON_MAX_EVENT_STREAMS: value }).variables).toEqual(['BATON_MAX_EVENT_STREAMS']);
  });

  it('sizes the worker\'s cache from BATON_WORKER_MAX_CACHED_WORKFLOWS (the worker\'s own default when unset) and keeps V8\'s memory saver on unless turned off', () => {
    expect(loadConfig({}).worker).toEqual({ maxConcurrentActivities: undefined, maxConcurrentWorkflowTasks: undefined, maxCachedWorkflows: undefined, memorySaver: true, stackFrames: undefined, stackTraces: false });
    expect(loadConfig({ BATON_WORKER_MAX_CACHED_WORKFLOWS: '2' }).worker.maxCachedWorkflows).toBe(2);
    expect(loadConfig({ BATON_WORKER_MAX_CACHED_WORKFLOWS: ' 500 ' }).worker.maxCachedWorkflows).toBe(500);
    expect(loadConfig({ BATON_WORKER_MEMORY_SAVER: 'off' }).worker.memorySaver).toBe(false);
    expect(loadConfig({ BATON_WORKER_MEMORY_SAVER: 'yes' }).worker.memorySaver).toBe(true);
  });

  it('keeps workflow stack traces off unless BATON_WORKER_STACK_TRACES turns them on', () => {
    expect(loadConfig({ BATON_WORKER_STACK_TRACES: 'on' }).worker.stackTraces).toBe(true);
    expect(loadConfig({ BATON_WORKER_STACK_TRACES: 'false' }).worker.stackTraces).toBe(false);
  });

  it('refuses a worker cache the SDK would quietly change (1, 0) and says what it takes', () => {
    for (const value of ['1', '0', '-3', '64.5', 'lots']) {
      const error = errorOf({ BATON_WORKER_MAX_CACHED_WORKFLOWS: value });
      expect(error.variables).toEqual(['BATON_WORKER_MAX_CACHED_WORKFLOWS']);
      expect(error.message).toContain('BATON_WORKER_MAX_CACHED_WORKFLOWS: a whole number of runs, 2 or more');
    }
  });

  it('treats an empty optional variable as unset', () => {
    const config = loadConfig({ TEMPORAL_ADDRESS: '', DATABASE_URL: '', OPENAI_BASE_URL: '', TEMPORAL_API_KEY: '' });
    expect(config.temporal.address).toBeUndefined();
    expect(config.databaseUrl).toBeUndefined();
    expect(config.openai.baseUrl).toBeUndefined();
    expect(config.temporal.tls).toBe(false);
  });

  it('lists every variable it reads', () => {
    expect(configVariables).toContain('BATON_API_KEYS');
    expect(configVariables).toContain('TEMPORAL_TLS_SERVER_CA_CERT_PATH');
    expect(configVariables).toHaveLength(new Set(configVariables).size);
  });

  describe('names the variable that is wrong', () => {
    const bad: Array<[string, NodeJS.ProcessEnv]> = [
      ['PORT', { PORT: 'eighty' }],
      ['PORT', { PORT: '70000' }],
      ['PORT', { PORT: '-1' }],
      ['PORT', { PORT: '80.5' }],
      ['BATON_TEMPORAL_PORT', { BATON_TEMPORAL_PORT: 'x' }],
      ['BATON_TEMPORAL_UI_PORT', { BATON_TEMPORAL_UI_PORT: '65536' }],
      ['BATON_HOME', { BATON_HOME: '  ' }],
      ['BATON_TASK_QUEUE', { BATON_TASK_QUEUE: '' }],
      ['TEMPORAL_ADDRESS', { TEMPORAL_ADDRESS: 'http://localhost:7233' }],
      ['TEMPORAL_ADDRESS', { TEMPORAL_ADDRESS: 'localhost' }],
      ['TEMPORAL_NAMESPACE', { TEMPORAL_NAMESPACE: '' }],
      ['TEMPORAL_TLS', { TEMPORAL_TLS: 'maybe' }],
      ['TEMPORAL_TLS_CLIENT_KEY_PATH', { TEMPORAL_TLS_CLIENT_CERT_PATH: '/c.pem' }],
      ['TEMPORAL_TLS_CLIENT_CERT_PATH', { TEMPORAL_TLS_CLIENT_KEY_PATH: '/c.key' }],
      ['TEMPORAL_TLS', { TEMPORAL_TLS: 'false', TEMPORAL_TLS_SERVER_CA_CERT_PATH: '/ca.pem' }],
      ['DATABASE_URL', { DATABASE_URL: 'mysql://db/baton' }],
      ['BATON_API_KEYS', { BATON_API_KEYS: 'no-project' }],
      ['BATON_API_KEYS', { BATON_API_KEYS: ':project' }],
      ['BATON_API_KEYS', { BATON_API_KEYS: 'key:bad project' }],
      ['BATON_API_KEYS', { BATON_API_KEYS: 'k:a,k:b' }],
      ['BATON_API_KEYS', { BATON_API_KEYS: 'k:a:ops,k:b' }],
      ['BATON_API_KEYS', { BATON_API_KEYS: 'k:a:two words' }],
      ['BATON_PROJECT_SECRETS', { BATON_PROJECT_SECRETS: 'PARTNER_TOKEN' }],
      ['BATON_PROJECT_SECRETS', { BATON_PROJECT_SECRETS: 'Proj A:PARTNER_TOKEN' }],
      ['BATON_PROJECT_SECRETS', { BATON_PROJECT_SECRETS: 'proj:partner_token' }],
      ['BATON_PROJECT_SECRETS', { BATON_PROJECT_SECRETS: 'proj:*' }],
      ['BATON_PROJECT_SECRETS', { BATON_PROJECT_SECRETS: 'proj:' }],
      ['BATON_PAUSE_TIMEOUT', { BATON_PAUSE_TIMEOUT: 'forever' }],
      ['BATON_PAUSE_TIMEOUT', { BATON_PAUSE_TIMEOUT: '7 days' }],
      ['BATON_MAX_BODY_BYTES', { BATON_MAX_BODY_BYTES: 'big' }],
      ['BATON_MAX_BODY_BYTES', { BATON_MAX_BODY_BYTES: '0' }],
      ['BATON_MAX_BODY_BYTES', { BATON_MAX_BODY_BYTES: '1gb' }],
      ['OPENAI_BASE_URL', { OPENAI_BASE_URL: 'not a url' }],
      ['BATON_EGRESS_ALLOW', { BATON_EGRESS_ALLOW: 'http://internal.example' }],
      ['BATON_EGRESS_ALLOW', { BATON_EGRESS_ALLOW: 'localhost,10.0.0.0/33' }],
      ['BATON_WORKER_MAX_CONCURRENT_ACTIVITIES', { BATON_WORKER_MAX_CONCURRENT_ACTIVITIES: '0' }],
      ['BATON_WORKER_MAX_CONCURRENT_WORKFLOW_TASKS', { BATON_WORKER_MAX_CONCURRENT_WORKFLOW_TASKS: 'many' }],
      ['BATON_WORKER_MAX_CACHED_WORKFLOWS', { BATON_WORKER_MAX_CACHED_WORKFLOWS: '1.5' }],
      ['BATON_WORKER_MEMORY_SAVER', { BATON_WORKER_MEMORY_SAVER: 'sometimes' }],
      ['BATON_WORKER_STACK_TRACES', { BATON_WORKER_STACK_TRACES: 'sometimes' }],
      ['BATON_WORKER_STACK_FRAMES', { BATON_WORKER_STACK_FRAMES: '3' }],
      ['BATON_WORKER_STACK_FRAMES', { BATON_WORKER_STACK_FRAMES: 'all' }],
      ['BATON_SHUTDOWN_GRACE_MS', { BATON_SHUTDOWN_GRACE_MS: '-5' }],
    ];
    it.each(bad)('%s in %j', (variable, env) => {
      const error = errorOf(env);
      expect(error.variables).toContain(variable);
      expect(error.message).toContain(`${variable}:`);
    });
  });

  it('reads project secret grants, `*` granting to every project', () => {
    const { projectSecrets } = loadConfig({ BATON_PROJECT_SECRETS: 'proj-a:PARTNER_TOKEN, proj-a:OPENAI_KEY_A,proj-b:OTHER,*:SHARED_KEY,proj-a:OPENAI_API_KEY' });
    expect(Object.fromEntries([...projectSecrets].map(([project, variables]) => [project, [...variables]]))).toEqual({
      'proj-a': ['PARTNER_TOKEN', 'OPENAI_KEY_A', 'OPENAI_API_KEY'], 'proj-b': ['OTHER'], '*': ['SHARED_KEY'],
    });
    expect(loadConfig({}).projectSecrets.size).toBe(0);
  });

  it('refuses to grant Baton\'s own configuration, naming the variable granted', () => {
    for (const variable of ['BATON_API_KEYS', 'DATABASE_URL', 'TEMPORAL_API_KEY', 'PGPASSWORD', 'OPENAI_BASE_URL', 'PORT', 'BATON_SOMETHING_NEW']) {
      const error = errorOf({ BATON_PROJECT_SECRETS: `proj:OK_TOKEN,*:${variable}` });
      expect(error.variables).toEqual(['BATON_PROJECT_SECRETS']);
      expect(error.message).toContain(`${variable} is Baton's own configuration`);
    }
    expect(isReservedVariable('OPENAI_API_KEY')).toBe(false);
    expect(configVariables.filter((variable) => variable !== 'OPENAI_API_KEY').every(isReservedVariable)).toBe(true);
  });

  it('names every bad variable at once', () => {
    expect(errorOf({ PORT: 'x', BATON_PAUSE_TIMEOUT: 'soon' }).variables).toEqual(['PORT', 'BATON_PAUSE_TIMEOUT']);
  });

  it('never repeats a secret in its error', () => {
    const error = errorOf({ BATON_API_KEYS: 'super-secret-key-without-project' });
    expect(error.message).not.toContain('super-secret');
    expect(error.message).toContain('not shown because it is secret');
  });

  it('keeps the environment it read, for agents and model endpoints, instead of the process environment', () => {
    const env = { OPENAI_BASE_URL: 'http://127.0.0.1:11434/v1', AGENT_SECRET: 'shh' };
    expect(loadConfig(env).env).toBe(env);
  });

  it('shows the bad value of a variable that is not secret', () => {
    expect(errorOf({ PORT: 'eighty' }).message).toContain('"eighty"');
  });
});

describe('logging, metrics and tracing settings', () => {
  it('logs at info, picks the format by terminal, serves no Core metrics, leaves /metrics open and traces nothing by default', () => {
    const config = loadConfig({});
    expect(config.log).toEqual({ level: 'info' });
    expect(config.metrics).toEqual({});
    expect(config.tracing).toBeUndefined();
  });

  it('reads LOG_LEVEL and LOG_FORMAT in any case, and an empty value as unset', () => {
    expect(loadConfig({ LOG_LEVEL: 'WARN', LOG_FORMAT: 'Pretty' }).log).toEqual({ level: 'warn', format: 'pretty' });
    expect(loadConfig({ LOG_LEVEL: '', LOG_FORMAT: '' }).log).toEqual({ level: 'info' });
  });

  it('names a bad LOG_LEVEL, LOG_FORMAT or BATON_METRICS_PORT with what it takes', () => {
    const error = errorOf({ LOG_LEVEL: 'loud', LOG_FORMAT: 'xml', BATON_METRICS_PORT: '0' });
    expect(error.variables).toEqual(['LOG_LEVEL', 'LOG_FORMAT', 'BATON_METRICS_PORT']);
    expect(error.message).toContain('LOG_LEVEL: one of trace, debug, info, warn, error, fatal, silent (got "loud")');
    expect(error.message).toContain('LOG_FORMAT: json or pretty (got "xml")');
    expect(error.message).toContain('BATON_METRICS_PORT: a port from 1 to 65535 (got "0")');
  });

  it('binds the worker\'s Core metrics on BATON_METRICS_HOST (all interfaces by default) and BATON_METRICS_PORT', () => {
    expect(loadConfig({ BATON_METRICS_PORT: '9464' }).metrics.workerBindAddress).toBe('0.0.0.0:9464');
    expect(loadConfig({ BATON_METRICS_PORT: '9464', BATON_METRICS_HOST: '127.0.0.1' }).metrics.workerBindAddress).toBe('127.0.0.1:9464');
    expect(loadConfig({ BATON_METRICS_PORT: '9464', BATON_METRICS_HOST: '::' }).metrics.workerBindAddress).toBe('[::]:9464');
  });

  it('keeps BATON_METRICS_TOKEN secret in its errors and turns tracing on with an OTLP endpoint', () => {
    expect(loadConfig({ BATON_METRICS_TOKEN: 'scrape-me' }).metrics.token).toBe('scrape-me');
    expect(loadConfig({ OTEL_EXPORTER_OTLP_ENDPOINT: 'http://collector:4318', OTEL_SERVICE_NAME: 'baton-eu' }).tracing).toEqual({ endpoint: 'http://collector:4318', serviceName: 'baton-eu' });
    expect(errorOf({ OTEL_EXPORTER_OTLP_ENDPOINT: 'collector' }).variables).toEqual(['OTEL_EXPORTER_OTLP_ENDPOINT']);
  });
});
