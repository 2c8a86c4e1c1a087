import { randomBytes } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createApp, type AppDeps } from '../../api/app.ts';
import { createRouter } from '../../api/router.ts';
import { createAgentRoutes } from '../../api/routes/agents.ts';
import { createLogger, type LogLevel } from '../../src/observability/logger.ts';
import { createApiMetrics } from '../../src/observability/metrics.ts';
import { createProjectSecrets } from '../../src/security/project-secrets.ts';
import { openStore, type Store } from '../../src/store/open-store.ts';

// The real app with a captured logger: every line it writes, parsed.
function observedApp(options: { level?: LogLevel; overrides?: Partial<AppDeps> } = {}) {
  const lines: string[] = [];
  const logger = createLogger({ level: options.level ?? 'info', format: 'json', destination: { write: (line: string) => { lines.push(line); } } });
  const metrics = createApiMetrics();
  const probe = createRouter();
  probe.get('/runs/:runId', (c) => c.json({ runId: c.req.param('runId') }));
  probe.get('/boom', () => { throw new Error('something broke'); });
  const app = createApp({ apiKeys: new Map(), maxBodyBytes: 64 * 1024, readiness: {}, routes: [{ path: '/v1', app: probe }], logger, metrics, ...options.overrides });
  return { app, metrics, lines, entries: () => lines.map((line) => JSON.parse(line) as Record<string, unknown>) };
}

describe('request log', () => {
  it('writes one JSON line per request carrying the id the caller sent, and returns that id', async () => {
    const { app, entries } = observedApp();
    const response = await app.request('/v1/runs/wfr_1', { headers: { 'X-Request-Id': 'trace-abc.123' } });
    expect(response.status).toBe(200);
    expect(response.headers.get('x-request-id')).toBe('trace-abc.123');
    const requestLines = entries().filter((entry) => entry.reqId === 'trace-abc.123');
    expect(requestLines).toHaveLength(1);
    expect(requestLines[0]).toMatchObject({ level: 'info', method: 'GET', path: '/v1/runs/wfr_1', route: '/v1/runs/:runId', status: 200 });
    expect(typeof requestLines[0]!.durationMs).toBe('number');
    // The id first, as a child logger's binding is on the request's other lines.
    expect(Object.keys(requestLines[0]!)).toEqual(['level', 'time', 'pid', 'reqId', 'method', 'path', 'route', 'status', 'durationMs', 'msg']);
  });

  it('makes an id when the caller sends none or one that is not a plain token, and logs the same id it returns', async () => {
    const { app, entries } = observedApp();
    const made = await app.request('/v1/runs/wfr_2');
    const forged = await app.request('/v1/runs/wfr_3', { headers: { 'X-Request-Id': 'x" level=fatal' } });
    const long = await app.request('/v1/runs/wfr_4', { headers: { 'X-Request-Id': 'a'.repeat(129) } });
    for (const response of [made, forged, long]) {
      const id = response.headers.get('x-request-id')!;
      expect(id).toMatch(/^[0-9a-f-]{36}$/);
      expect(entries().filter((entry) => entry.reqId === id)).toHaveLength(1);
    }
    expect(entries().map((entry) => entry.reqId)).not.toContain('x" level=fatal');
  });

  it('logs refused requests too (404, 401) with their status', async () => {
    const { app, entries } = observedApp({ overrides: { apiKeys: new Map([['k1', 'p1']]) } });
    await app.request('/v1/runs/wfr_1');
    await app.request('/nowhere');
    expect(entries().map((entry) => [entry.path, entry.status, entry.route])).toEqual([['/v1/runs/wfr_1', 401, '/v1/runs/:runId'], ['/nowhere', 404, 'unmatched']]);
  });

  it('logs a failing request at error with the error, and its request line at error', async () => {
    const { app, entries } = observedApp();
    const response = await app.request('/v1/boom', { headers: { 'X-Request-Id': 'req-boom' } });
    expect(response.status).toBe(500);
    const lines = entries().filter((entry) => entry.reqId === 'req-boom');
    expect(lines.map((entry) => entry.level)).toEqual(['error', 'error']);
    expect(lines.map((entry) => Object.keys(entry).slice(0, 4))).toEqual([['level', 'time', 'pid', 'reqId'], ['level', 'time', 'pid', 'reqId']]);
    expect(lines[0]).toMatchObject({ error: { type: 'Error', message: 'something broke' } });
  });

  it('writes no request line at LOG_LEVEL=warn, but still answers with the id', async () => {
    const { app, lines } = observedApp({ level: 'warn' });
    const response = await app.request('/v1/runs/wfr_1', { headers: { 'X-Request-Id': 'quiet-1' } });
    expect(response.status).toBe(200);
    expect(response.headers.get('x-request-id')).toBe('quiet-1');
    expect(lines).toEqual([]);
  });

  it('keeps probes and scrapes at debug', async () => {
    const info = observedApp();
    await info.app.request('/healthz');
    await info.app.request('/metrics');
    expect(info.lines).toEqual([]);
    const debug = observedApp({ level: 'debug' });
    await debug.app.request('/healthz');
    expect(debug.entries()).toMatchObject([{ level: 'debug', path: '/healthz', status: 200 }]);
  });
});

describe('GET /metrics', () => {
  it('counts requests by method, matched route and status, with durations, in Prometheus text', async () => {
    const { app } = observedApp();
    await app.request('/v1/runs/wfr_1');
    await app.request('/v1/runs/wfr_2');
    await app.request('/nowhere/else');
    const response = await app.request('/metrics');
    expect(response.status).toBe(200);
    expect(response.headers.get('content-type')).toContain('text/plain');
    const text = await response.text();
    expect(text).toContain('baton_http_requests_total{method="GET",route="/v1/runs/:runId",status="200"} 2');
    expect(text).toContain('baton_http_requests_total{method="GET",route="unmatched",status="404"} 1');
    expect(text).toMatch(/baton_http_request_duration_seconds_count\{method="GET",route="\/v1\/runs\/:runId",status="200"\} 2/);
    expect(text).toContain('# TYPE baton_runs_started_total counter');
    expect(text).toContain('baton_runs_finished_total{status="failed"} 0');
    expect(text).toContain('baton_webhook_deliveries_total{outcome="delivered"} 0');
    expect(text).toContain('baton_process_resident_memory_bytes');
  });

  it('reads the runs by status at scrape time', async () => {
    const { app, metrics } = observedApp();
    let reads = 0;
    metrics.readRunCounts(async () => { reads += 1; return { paused: 3, completed: 7 }; });
    await app.request('/v1/runs/wfr_1');
    expect(reads).toBe(0);
    const text = await (await app.request('/metrics')).text();
    expect(reads).toBe(1);
    expect(text).toContain('baton_runs{status="paused"} 3');
    expect(text).toContain('baton_runs{status="completed"} 7');
    expect(text).toContain('baton_runs{status="failed"} 0');
  });

  it('still answers when the run counts cannot be read', async () => {
    const { app, metrics } = observedApp();
    metrics.readRunCounts(async () => { throw new Error('store down'); });
    const response = await app.request('/metrics');
    expect(response.status).toBe(200);
    expect(await response.text()).toContain('baton_http_requests_total');
  });

  it('needs the bearer token when BATON_METRICS_TOKEN is set, and is open without it', async () => {
    const { app } = observedApp({ overrides: { metricsToken: 'scrape-secret' } });
    expect((await app.request('/metrics')).status).toBe(401);
    expect((await app.request('/metrics', { headers: { Authorization: 'Bearer wrong' } })).status).toBe(401);
    expect((await app.request('/metrics', { headers: { Authorization: 'Bearer scrape-secret' } })).status).toBe(200);
    // An API key is not the metrics token.
    const keyed = observedApp({ overrides: { apiKeys: new Map([['k1', 'p1']]) } });
    expect((await keyed.app.request('/metrics')).status).toBe(200);
  });

  it('is not in the OpenAPI document', async () => {
    const { app } = observedApp();
    const document = (await (await app.request('/openapi.json')).json()) as { paths: Record<string, unknown> };
    expect(Object.keys(document.paths)).not.toContain('/metrics');
  });
});

describe('secrets in logs', () => {
  let store: Store;
  beforeAll(async () => { store = await openStore(); });
  afterAll(async () => store?.close());

  it('never writes the Authorization header or an agent config with credentials, even at trace', async () => {
    const marker = `cred-${randomBytes(8).toString('hex')}`;
    const apiKey = `key-${randomBytes(8).toString('hex')}`;
    const secrets = createProjectSecrets({ grants: new Map([['*', new Set(['PARTNER_TOKEN'])]]), env: {} });
    const { app, lines } = observedApp({
      level: 'trace',
      overrides: { apiKeys: new Map([[apiKey, 'acme']]), routes: [{ path: '/api/v1', app: createAgentRoutes({ store, secrets, builtinAgents: () => [] }) }] },
    });
    const headers = { Authorization: `Bearer ${apiKey}`, 'content-type': 'application/json', Cookie: `session=${marker}` };
    const agent = { id: 'partner', kind: 'http', config: { url: `https://agents.example/${marker}`, secretEnv: 'PARTNER_TOKEN', headers: { authorization: { secretEnv: 'PARTNER_TOKEN', prefix: 'Bearer ' }, 'x-team': marker } } };
    expect((await app.request('/api/v1/agents', { method: 'POST', headers, body: JSON.stringify(agent) })).status).toBe(200);
    // Refused: a credential in plain text, which the error names but the log does not repeat.
    const plain = { ...agent, id: 'plain', config: { ...agent.config, headers: { authorization: `Bearer ${marker}` } } };
    expect((await app.request('/api/v1/agents', { method: 'POST', headers, body: JSON.stringify(plain) })).status).toBe(422);
    expect((await app.request('/api/v1/agents', { method: 'POST', headers: { ...headers, Authorization: `Bearer ${marker}` }, body: '{}' })).status).toBe(401);
    expect((await app.request('/api/v1/agents/partner', { headers })).status).toBe(200);
    expect(lines.length).toBeGreaterThanOrEqual(4);
    for (const line of lines) {
      expect(line).not.toContain(marker);
      expect(line).not.toContain(apiKey);
    }
  });

  it('redacts credential-shaped fields a log call might be given', () => {
    const lines: string[] = [];
    const logger = createLogger({ level: 'info', format: 'json', destination: { write: (line: string) => { lines.push(line); } } });
    logger.info({ headers: { authorization: 'Bearer s3cret' }, agent: { config: { apiKey: 's3cret' } }, token: 's3cret' }, 'careless');
    expect(lines).toHaveLength(1);
    expect(lines[0]).not.toContain('s3cret');
  });
});
