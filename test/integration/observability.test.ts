import { mkdtemp, rm } from 'node:fs/promises';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import { freePort } from '../../src/temporal/dev-server.ts';
import { isolatedEnv, killAllBatons, spawnBaton, type BatonProcess } from '../fixtures/baton-process.ts';

// One `baton start` against the test's Temporal dev server: its JSON log lines, GET /metrics as runs
// start, pause, resume and finish, the worker's Temporal Core metrics on BATON_METRICS_PORT, and its
// traces sent to an OTLP/HTTP receiver (a stand-in for an OpenTelemetry collector, speaking HTTP).
let home: string;
let collector: Server;
interface ReceivedSpan { name: string; traceId: string; service: string }
const spans: ReceivedSpan[] = [];
let baton: BatonProcess;
let api: string;
let coreMetrics: string;
const taskQueue = `observability-${Date.now()}`;

beforeAll(async () => {
  home = await mkdtemp(path.join(os.tmpdir(), 'baton-observability-'));
  collector = createServer((request, response) => {
    let body = '';
    request.on('data', (chunk: Buffer) => { body += chunk.toString(); });
    request.on('end', () => {
      if (request.url === '/v1/traces') spans.push(...spansOf(JSON.parse(body) as OtlpTraces));
      response.writeHead(200, { 'content-type': 'application/json' }).end('{}');
    });
  });
  await new Promise<void>((resolve) => collector.listen(0, '127.0.0.1', resolve));
  const port = await freePort();
  const metricsPort = await freePort();
  baton = spawnBaton(['start'], isolatedEnv({
    BATON_HOME: home,
    PORT: String(port),
    TEMPORAL_ADDRESS: inject('temporalAddress'),
    TEMPORAL_NAMESPACE: inject('temporalNamespace'),
    BATON_TASK_QUEUE: taskQueue,
    BATON_METRICS_PORT: String(metricsPort),
    BATON_METRICS_HOST: '127.0.0.1',
    LOG_LEVEL: 'info',
    OTEL_EXPORTER_OTLP_ENDPOINT: `http://127.0.0.1:${(collector.address() as AddressInfo).port}`,
    OTEL_SERVICE_NAME: 'baton-under-test',
  }));
  await baton.ready();
  api = `http://127.0.0.1:${port}`;
  coreMetrics = `http://127.0.0.1:${metricsPort}/metrics`;
});
afterAll(async () => {
  killAllBatons();
  await baton?.exited;
  collector?.close();
  await rm(home, { recursive: true, force: true });
});

interface OtlpTraces {
  resourceSpans: Array<{
    resource: { attributes: Array<{ key: string; value: { stringValue?: string } }> };
    scopeSpans: Array<{ spans: Array<{ name: string; traceId: string }> }>;
  }>;
}

function spansOf(traces: OtlpTraces): ReceivedSpan[] {
  return traces.resourceSpans.flatMap((resource) => {
    const service = resource.resource.attributes.find((attribute) => attribute.key === 'service.name')?.value.stringValue ?? '';
    return resource.scopeSpans.flatMap((scope) => scope.spans.map((span) => ({ name: span.name, traceId: span.traceId, service })));
  });
}

/** The process's log lines (stderr is JSON lines when not a terminal); the banner's lines are not JSON. */
function logEntries(): Array<Record<string, unknown>> {
  return baton.output().split('\n').filter((line) => line.startsWith('{')).map((line) => JSON.parse(line) as Record<string, unknown>);
}

/** The value of one sample in Prometheus text, or undefined when it is absent. */
async function sample(url: string, series: string): Promise<number | undefined> {
  const text = await (await fetch(url)).text();
  const line = text.split('\n').find((row) => row.startsWith(`${series} `));
  return line === undefined ? undefined : Number(line.slice(series.length + 1));
}

async function call(method: string, url: string, body: unknown, headers: Record<string, string> = {}) {
  const response = await fetch(`${api}${url}`, { method, headers: { 'content-type': 'application/json', ...headers }, body: JSON.stringify(body) });
  return { status: response.status, requestId: response.headers.get('x-request-id'), json: (await response.json()) as { run_id: string; output: { status: string } } };
}

describe('baton start with BATON_METRICS_PORT', () => {
  it('prints where its metrics are', () => {
    expect(baton.bannerField('Metrics')).toBe(`${api}/metrics`);
    expect(baton.bannerField('Core metrics')).toBe(coreMetrics);
  });

  it('counts runs started, paused now, resumed and finished on GET /metrics', async () => {
    const metrics = `${api}/metrics`;
    expect(await sample(metrics, 'baton_runs_started_total')).toBe(0);
    const paused = await call('POST', '/v1/agents/lead-router/workflow', { input: { task: 'Route this lead', state: { leadId: 'lead-1' } } });
    expect(paused.json.output.status, baton.output()).toBe('paused');
    expect(await sample(metrics, 'baton_runs_started_total')).toBe(1);
    expect(await sample(metrics, 'baton_runs{status="paused"}')).toBe(1);

    const resumed = await call('POST', `/v1/workflow-runs/${paused.json.run_id}/resume`, { input: { resume: { step: 'approval', input: 'approve' } } });
    expect(resumed.json.output.status).toBe('completed');
    expect(await sample(metrics, 'baton_runs_resumed_total')).toBe(1);
    await expect.poll(() => sample(metrics, 'baton_runs_finished_total{status="completed"}'), { timeout: 10_000 }).toBe(1);
    await expect.poll(() => sample(metrics, 'baton_runs{status="paused"}'), { timeout: 10_000 }).toBe(0);
    expect(await sample(metrics, 'baton_runs{status="completed"}')).toBe(1);
    expect(await sample(metrics, 'baton_http_requests_total{method="POST",route="/v1/agents/:name/workflow",status="200"}')).toBe(1);
  });

  it('writes the request id it answers with in that request\'s log line', async () => {
    const answered = await call('POST', '/v1/agents/lead-router/workflow', { input: { task: 'Another lead', state: { leadId: 'lead-2' } } }, { 'X-Request-Id': 'it-request-42' });
    expect(answered.requestId).toBe('it-request-42');
    await expect.poll(() => logEntries().filter((entry) => entry.reqId === 'it-request-42'), { timeout: 5_000 }).toHaveLength(1);
    expect(logEntries().find((entry) => entry.reqId === 'it-request-42')).toMatchObject({ level: 'info', method: 'POST', path: '/v1/agents/lead-router/workflow', status: 200 });
  });

  it('routes the Temporal SDK\'s own log lines through the same JSON logger', () => {
    const temporal = logEntries().filter((entry) => entry.component === 'temporal');
    expect(temporal.length, baton.output()).toBeGreaterThan(0);
    expect(temporal.every((entry) => typeof entry.level === 'string' && typeof entry.msg === 'string')).toBe(true);
  });

  it('serves the worker\'s Temporal Core metrics for Prometheus on BATON_METRICS_PORT', async () => {
    await expect.poll(async () => {
      const text = await (await fetch(coreMetrics)).text();
      return text.split('\n').some((line) => line.startsWith('temporal_') && line.includes(`task_queue="${taskQueue}"`));
    }, { timeout: 15_000 }).toBe(true);
  });
});

describe('a failed run', () => {
  it('is one warn line with its step, code and message, and counted as failed', async () => {
    const json = async (method: string, url: string, body?: unknown) => (await fetch(`${api}${url}`, { method, headers: { 'content-type': 'application/json' }, body: JSON.stringify(body) })).json() as Promise<{ id: string; runId: string; status: string }>;
    // An agent on a loopback port: refused by the egress policy, the step fails without retrying for long.
    await json('POST', '/api/v1/agents', { id: 'unreachable', kind: 'http', config: { url: 'http://127.0.0.1:9/agent', headers: { 'x-team': 'ops' } } });
    const workflow = await json('POST', '/api/v1/workflows', { name: 'Fails' });
    await json('POST', `/api/v1/workflows/${workflow.id}/steps`, { name: 'reach', agentId: 'unreachable', action: 'Reach out' });
    const started = await json('POST', `/api/v1/workflows/${workflow.id}/run`, { input: 'go' });
    const failedLines = () => logEntries().filter((entry) => entry.runId === started.runId);
    await expect.poll(failedLines, { timeout: 30_000, interval: 250 }).toHaveLength(1);
    const run = (await (await fetch(`${api}/api/v1/workflows/runs/${started.runId}`)).json()) as { status: string; error: { code: string; message: string; step: string } };
    expect(run.status).toBe('FAILED');
    expect(failedLines()[0]).toMatchObject({ level: 'warn', component: 'runs', step: 'reach', code: run.error.code });
    expect(failedLines()[0]!.msg).toBe(`run ${started.runId} failed at step "reach": ${run.error.code}: ${run.error.message}`);
    expect(failedLines()[0]).not.toHaveProperty('stack');
    await expect.poll(() => sample(`${api}/metrics`, 'baton_runs_finished_total{status="failed"}'), { timeout: 10_000 }).toBe(1);
  });
});

describe('baton start with OTEL_EXPORTER_OTLP_ENDPOINT', () => {
  it('traces a run from the API\'s start through its workflow and activities, in one trace', async () => {
    const started = await call('POST', '/v1/agents/lead-router/workflow', { input: { task: 'Traced lead', state: { leadId: 'lead-3' } } });
    expect(started.json.output.status).toBe('paused');
    const named = (prefix: string) => spans.filter((span) => span.name.startsWith(prefix));
    await expect.poll(() => named('RunActivity:').length, { timeout: 30_000, interval: 500 }).toBeGreaterThan(0);
    await expect.poll(() => named('RunWorkflow:').length, { timeout: 30_000, interval: 500 }).toBeGreaterThan(0);
    expect(spans.every((span) => span.service === 'baton-under-test')).toBe(true);
    // The client's span and the workflow's are one trace: the context went through Temporal's headers.
    const clientTraces = new Set(spans.filter((span) => /^(StartWorkflow|UpdateWithStartWorkflow|StartUpdate)/.test(span.name)).map((span) => span.traceId));
    expect(clientTraces.size, JSON.stringify(spans.map((span) => span.name))).toBeGreaterThan(0);
    expect(named('RunWorkflow:').some((span) => clientTraces.has(span.traceId))).toBe(true);
  });
});
