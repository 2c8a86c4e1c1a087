import { execFile } from 'node:child_process';
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
  depends_on?: Record<string, { condition: string }>;
  deploy?: { replicas?: number };
  ports?: unknown[];
}

let services: Record<string, ComposeService>;

beforeAll(async () => {
  let stdout: string;
  try {
    ({ stdout } = await promisify(execFile)('docker-compose', ['-f', 'docker-compose.yml', 'config'], { cwd: repoRoot, env: { ...process.env, BATON_API_KEYS: '' } }));
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
    expect(Object.keys(services).sort()).toEqual(['baton-api', 'baton-worker', 'postgres', 'temporal', 'temporal-namespace', 'temporal-schema', 'temporal-ui']);
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
    expect(api.BATON_API_KEYS).toMatch(/^[^:,]+:[a-z]+$/);
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
});
