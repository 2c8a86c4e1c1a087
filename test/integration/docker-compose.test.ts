import { execFile } from 'node:child_process';
import { readFile } from 'node:fs/promises';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import { beforeAll, describe, expect, it } from 'vitest';
import { parse } from 'yaml';
import { loadConfig } from '../../src/config.ts';

const repoRoot = fileURLToPath(new URL('../..', import.meta.url));

interface ComposeService {
  image?: string;
  build?: { context: string; dockerfile: string };
  command?: string[];
  container_name?: string;
  environment?: Record<string, string>;
  restart?: string;
  depends_on?: Record<string, { condition: string }>;
  deploy?: { replicas?: number };
  ports?: unknown[];
  /** `source:target[:mode]` (docker-compose 1.x) or the long form (Compose v2). */
  volumes?: Array<string | { source: string; target: string }>;
}

interface ScrapeConfig {
  job_name: string;
  metrics_path?: string;
  static_configs?: Array<{ targets: string[] }>;
  dns_sd_configs?: Array<{ names: string[]; type: string; port: number }>;
}

// What an operator must export; compose refuses to render the file without them.
const requiredEnv = { POSTGRES_PASSWORD: 'compose-test-password', BATON_API_KEYS: 'compose-test-key:default' };
const withoutRequired = Object.fromEntries(Object.entries(process.env).filter(([name]) => !(name in requiredEnv)));

function composeConfig(env: NodeJS.ProcessEnv) {
  return promisify(execFile)('docker-compose', ['-f', 'docker-compose.yml', 'config'], { cwd: repoRoot, env });
}

let services: Record<string, ComposeService>;

beforeAll(async () => {
  let stdout: string;
  try {
    ({ stdout } = await composeConfig({ ...withoutRequired, ...requiredEnv }));
  } catch (error) {
    const e = error as NodeJS.ErrnoException & { stderr?: string };
    throw new Error(e.code === 'ENOENT'
      ? 'docker-compose is not installed: `apt-get install -y docker-compose` (.ci/run installs it)'
      : `docker-compose config rejected docker-compose.yml:\n${e.stderr ?? e.message}`, { cause: error });
  }
  services = (parse(stdout) as { services: Record<string, ComposeService> }).services;
});

describe('docker-compose.yml', () => {
  it('has PostgreSQL, Temporal on PostgreSQL with its UI, the Baton API and workers', () => {
    expect(Object.keys(services).sort()).toEqual(['baton-api', 'baton-worker', 'postgres', 'prometheus', 'temporal', 'temporal-namespace', 'temporal-schema', 'temporal-ui']);
    expect(services.temporal!.environment).toMatchObject({ DB: 'postgres12', POSTGRES_SEEDS: 'postgres' });
    expect(services.temporal!.depends_on).toEqual({ 'temporal-schema': { condition: 'service_completed_successfully' } });
    expect(services['temporal-ui']!.environment).toMatchObject({ TEMPORAL_ADDRESS: 'temporal:7233' });
  });

  it('runs `baton api` and `baton worker` from one image built from .ci/Dockerfile', () => {
    expect(services['baton-api']!.build).toMatchObject({ dockerfile: '.ci/Dockerfile' });
    expect(services['baton-api']!.command).toEqual(['api']);
    expect(services['baton-worker']!.command).toEqual(['worker']);
    expect(services['baton-worker']!.image).toBe(services['baton-api']!.image);
  });

  it('lets the worker scale: replicas and no fixed container name', () => {
    expect(services['baton-worker']!.deploy?.replicas).toBeGreaterThanOrEqual(2);
    expect(services['baton-worker']!.container_name).toBeUndefined();
  });

  it('gives the API and workers the environment they need, and Baton accepts it', () => {
    const api = services['baton-api']!.environment!;
    const worker = services['baton-worker']!.environment!;
    for (const env of [api, worker]) {
      expect(env.TEMPORAL_ADDRESS).toBe('temporal:7233');
      expect(env.DATABASE_URL).toMatch(/^postgres:\/\/baton:[^@]+@postgres:5432\/baton$/);
      expect(env.BATON_TASK_QUEUE).toBe('baton-agent-runs');
    }
    expect(api.BATON_API_KEYS).toBe(requiredEnv.BATON_API_KEYS);
    expect(api.DATABASE_URL).toContain(`:${requiredEnv.POSTGRES_PASSWORD}@`);
    expect(api.HOST).toBe('0.0.0.0');
    // The same parser the processes use must accept what compose hands them.
    expect(loadConfig(api).apiKeys.size).toBe(1);
    expect(loadConfig(worker).temporal.address).toBe('temporal:7233');
  });

  it('starts Baton only after the namespace exists and the database answers', () => {
    for (const name of ['baton-api', 'baton-worker']) {
      expect(services[name]!.depends_on).toMatchObject({
        'temporal-namespace': { condition: 'service_completed_successfully' },
        postgres: { condition: 'service_healthy' },
      });
    }
  });

  it('restarts every long-running service unless it was stopped, and leaves the one-shots alone', () => {
    for (const name of ['postgres', 'temporal', 'temporal-ui', 'baton-api', 'baton-worker']) {
      expect({ name, restart: services[name]!.restart }).toEqual({ name, restart: 'unless-stopped' });
    }
    // A one-shot that restarted would never complete, and what waits on its completion would never start.
    for (const name of ['temporal-schema', 'temporal-namespace']) expect(services[name]!.restart).toBeUndefined();
  });

  it('gives no credential a default: the password and the API keys must come from the environment', async () => {
    const text = await readFile(`${repoRoot}/docker-compose.yml`, 'utf8');
    const credential = /PASSWORD|PWD|KEY|SECRET|TOKEN/;
    const uses = [...text.matchAll(/\$\{([A-Z0-9_]+)(:?[-?])?([^}]*)\}/g)].map(([, name, operator = '', rest]) => ({ name: name!, operator, rest: rest! }));
    const credentials = uses.filter((use) => credential.test(use.name));
    expect(new Set(credentials.map((use) => use.name))).toEqual(new Set(['POSTGRES_PASSWORD', 'BATON_API_KEYS', 'OPENAI_API_KEY']));
    for (const use of credentials) {
      // Required (`:?`), or optional with nothing as its value (`:-` and empty): never a usable secret.
      expect(use.operator === ':?' || (use.operator === ':-' && use.rest === ''), `\${${use.name}${use.operator}${use.rest}}`).toBe(true);
    }
    for (const [name, service] of Object.entries(services)) {
      for (const [variable, value] of Object.entries(service.environment ?? {})) {
        // A literal credential in the file (rather than one interpolated from the environment) is a default too.
        if (credential.test(variable) && value !== '') expect(Object.values(requiredEnv), `${name}: ${variable}`).toContain(value);
      }
    }
  });

  it('refuses to render without POSTGRES_PASSWORD or BATON_API_KEYS, naming the missing variable', async () => {
    for (const missing of Object.keys(requiredEnv) as Array<keyof typeof requiredEnv>) {
      const env = { ...withoutRequired, ...requiredEnv, [missing]: '' };
      const failure = await composeConfig(env).then(() => null, (error: unknown) => error as { stderr: string });
      expect(failure?.stderr).toContain(`set ${missing}`);
    }
  });
});

describe('Prometheus in docker-compose.yml', () => {
  it('scrapes the API\'s /metrics on its PORT and every worker replica\'s Core metrics on BATON_METRICS_PORT', async () => {
    const prometheus = services.prometheus!;
    const mounts = (prometheus.volumes ?? []).map((volume) => {
      if (typeof volume !== 'string') return volume;
      const [source = '', target = ''] = volume.split(':');
      return { source, target };
    });
    const mounted = mounts.find((volume) => volume.target === '/etc/prometheus/prometheus.yml');
    expect(mounted?.source).toBe(`${repoRoot.replace(/\/$/, '')}/.ci/compose/prometheus.yml`);
    const config = parse(await readFile(mounted!.source, 'utf8')) as { scrape_configs: ScrapeConfig[] };
    const job = (name: string) => config.scrape_configs.find((scrape) => scrape.job_name === name);

    const api = services['baton-api']!.environment!;
    expect(job('baton-api')).toMatchObject({ metrics_path: '/metrics', static_configs: [{ targets: [`baton-api:${api.PORT}`] }] });
    expect(loadConfig(api).metrics.token).toBeUndefined();

    const worker = services['baton-worker']!.environment!;
    const workerMetrics = loadConfig(worker).metrics.workerBindAddress;
    expect(workerMetrics).toBe(`0.0.0.0:${worker.BATON_METRICS_PORT}`);
    // By DNS, so `--scale baton-worker=N` needs no change here: the name resolves to every replica.
    expect(job('baton-worker')).toMatchObject({ metrics_path: '/metrics', dns_sd_configs: [{ names: ['baton-worker'], type: 'A', port: Number(worker.BATON_METRICS_PORT) }] });
  });
});
