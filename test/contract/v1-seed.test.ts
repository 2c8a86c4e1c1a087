// The v1 specification, replayed against the real app, engine and dev server: every documented request and
// the shape of every documented response, field by field.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { V1Run, V1RunList } from '../../src/domain/v1-api.ts';
import { leadRouterExample } from '../../src/examples/index.ts';
import { eventually } from '../integration/engine-harness.ts';
import { startV1Stack, type V1Stack } from './v1-stack.ts';

let stack: V1Stack;
let project: string;

beforeAll(async () => {
  stack = await startV1Stack('v1-seed');
  project = stack.projects[0];
  // A quick-timeout copy of the example and a definition whose agent does not exist: the specification's
  // `failed` status, both ways a run fails.
  await stack.store.definitions.upsertExample(project, { ...leadRouterExample, id: 'wf-lead-router-quick', agent: 'lead-router-quick', pauseTimeout: '1s' });
  await stack.store.definitions.upsertExample(project, {
    id: 'wf-broken', name: 'Broken', agent: 'broken', steps: [{ name: 'lookup', type: 'agent', agentId: 'no-such-agent', action: 'Look it up.' }],
  });
});
afterAll(async () => stack?.close());

async function call<T = V1Run>(method: string, path: string, body?: unknown, who = project) {
  const response = await fetch(`${stack.url}${path}`, {
    method,
    headers: { authorization: `Bearer ${stack.keyOf(who)}`, ...(body === undefined ? {} : { 'content-type': 'application/json' }) },
    body: body === undefined ? undefined : JSON.stringify(body),
  });
  return { status: response.status, headers: response.headers, json: (await response.json()) as T };
}

const isoTime = /^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d/;
const seedStart = { input: { task: 'Route this lead to the right team', state: { leadId: 'lead-123' } } };
const seedPendingAction = {
  step: 'approval',
  type: 'confirmation',
  message: 'Route to enterprise sales team?',
  options: ['approve', 'reject', 'escalate'],
  // Baton's one addition to the specification's paused example: when the question times out (BATON_PAUSE_TIMEOUT after the pause).
  expiresAt: expect.stringMatching(isoTime) as string,
};
const seedPaused = (runId: string) => ({
  output: {
    status: 'paused',
    steps: [{ name: 'classify', status: 'completed', output: { category: 'enterprise' } }],
    result: null,
    pendingAction: seedPendingAction,
  },
  run_id: runId,
});

describe('the v1 specification: starting a workflow', () => {
  it('answers the documented paused response once the run pauses', async () => {
    const started = await call('POST', '/v1/agents/lead-router/workflow', seedStart);
    expect(started.status).toBe(200);
    expect(started.headers.get('content-type')).toMatch(/^application\/json/);
    expect(started.json.run_id).toMatch(/^wfr_[0-9A-Z]{26}$/);
    expect(started.json).toStrictEqual(seedPaused(started.json.run_id));
  });

  it('accepts a start without state (state is optional)', async () => {
    const started = await call('POST', '/v1/agents/lead-router/workflow', { input: { task: 'Route this lead' } });
    expect(started.status).toBe(200);
    expect(started.json.output.status).toBe('paused');
  });

  it('answers `running` when waitMs passes before the run settles, and the run goes on', async () => {
    const started = await call('POST', '/v1/agents/lead-router/workflow?waitMs=0', seedStart);
    expect(started.status).toBe(200);
    expect(started.json.output).toMatchObject({ status: 'running', result: null, pendingAction: null });
    await eventually(async () => {
      expect((await call('GET', `/v1/workflow-runs/${started.json.run_id}`)).json).toStrictEqual(seedPaused(started.json.run_id));
    });
  });

  it('returns the same run for a retried start with the same Idempotency-Key, and another project its own', async () => {
    const start = (who: string) => fetch(`${stack.url}/v1/agents/lead-router/workflow`, {
      method: 'POST',
      headers: { authorization: `Bearer ${stack.keyOf(who)}`, 'content-type': 'application/json', 'idempotency-key': 'lead-123-attempt' },
      body: JSON.stringify(seedStart),
    }).then((r) => r.json() as Promise<{ run_id: string; output: unknown }>);
    const [first, retried] = await Promise.all([start(project), start(project)]);
    expect(retried).toStrictEqual(first);
    const other = await start(stack.projects[1]);
    expect(other.run_id).not.toBe(first.run_id);
  });
});

describe('the v1 specification: resuming a workflow', () => {
  it('continues from the pause to completed with a result', async () => {
    const { json: paused } = await call('POST', '/v1/agents/lead-router/workflow', seedStart);
    const resumed = await call('POST', `/v1/workflow-runs/${paused.run_id}/resume`, { input: { resume: { step: 'approval', input: 'approve' } } });
    expect(resumed.status).toBe(200);
    const routed = { routedTo: 'enterprise-sales', leadId: 'lead-123', category: 'enterprise' };
    expect(resumed.json).toStrictEqual({
      output: {
        status: 'completed',
        steps: [
          { name: 'classify', status: 'completed', output: { category: 'enterprise' } },
          { name: 'approval', status: 'completed', output: 'approve' },
          { name: 'route', status: 'completed', output: routed },
        ],
        result: routed,
        pendingAction: null,
        // Beyond the specification: the audit trail, once the run has been answered (this key has no label).
        answers: [{ step: 'approval', type: 'confirmation', input: 'approve', comment: null, answeredBy: { via: 'api', label: null }, answeredAt: expect.stringMatching(isoTime) as string }],
      },
      run_id: paused.run_id,
    });
    // GET answers the same shape as start and resume.
    expect((await call('GET', `/v1/workflow-runs/${paused.run_id}`)).json).toStrictEqual(resumed.json);
  });

  it('takes an object as the input when the step names no options', async () => {
    const { json: paused } = await call('POST', '/v1/agents/lead-router/workflow', seedStart);
    const resumed = await call('POST', `/v1/workflow-runs/${paused.run_id}/resume`, { input: { resume: { step: 'approval', input: 'escalate' } } });
    expect(resumed.json.output.result).toStrictEqual({ routedTo: 'sales-leadership', leadId: 'lead-123', category: 'enterprise' });
  });
});

describe('the v1 specification: workflow statuses', () => {
  it('marks a run failed, with its error, when it is not resumed within the timeout', async () => {
    const { json: paused } = await call('POST', '/v1/agents/lead-router-quick/workflow', seedStart);
    expect(paused.output.status).toBe('paused');
    const failed = await eventually(async () => {
      const run = await call('GET', `/v1/workflow-runs/${paused.run_id}`);
      expect(run.json.output.status).toBe('failed');
      return run.json;
    });
    expect(failed.output).toMatchObject({ result: null, pendingAction: null, error: { code: 'pause_timeout', step: 'approval' } });
    expect(failed.output.steps[0]).toStrictEqual({ name: 'classify', status: 'completed', output: { category: 'enterprise' } });
  });

  it('answers a run that fails during the start with status failed and the error', async () => {
    const { status, json } = await call('POST', '/v1/agents/broken/workflow', { input: { task: 'Look it up' } });
    expect(status).toBe(200);
    expect(json.output).toMatchObject({ status: 'failed', result: null, pendingAction: null, error: { code: 'agent_not_found', step: 'lookup' } });
    expect(json.output.steps).toStrictEqual([{ name: 'lookup', status: 'failed', output: null }]);
  });
});

describe('the v1 specification: managing workflow runs', () => {
  it('lists the project\'s runs, filtered by status and agent, a page at a time', async () => {
    const who = stack.projects[2];
    const first = (await call('POST', '/v1/agents/lead-router/workflow', seedStart, who)).json;
    const second = (await call('POST', '/v1/agents/lead-router/workflow', seedStart, who)).json;
    await call('POST', `/v1/workflow-runs/${second.run_id}/resume`, { input: { resume: { step: 'approval', input: 'reject' } } }, who);

    const all = await eventually(async () => {
      const page = await call<V1RunList>('GET', '/v1/workflow-runs', undefined, who);
      expect(page.status, JSON.stringify(page.json)).toBe(200);
      expect(page.json.data.map((run) => run.status).sort()).toStrictEqual(['completed', 'paused']);
      return page;
    });
    expect(all.status).toBe(200);
    expect(all.json.next_cursor).toBeNull();
    const row = all.json.data.find((run) => run.run_id === first.run_id);
    expect(row).toStrictEqual({
      run_id: first.run_id, status: 'paused', agent: 'lead-router', definition_id: 'wf-lead-router',
      session_id: expect.stringMatching(/^ses_/) as string, current_step_order: 2,
      created_at: expect.stringMatching(isoTime) as string, updated_at: expect.stringMatching(isoTime) as string,
    });

    expect((await call<V1RunList>('GET', '/v1/workflow-runs?status=paused', undefined, who)).json.data.map((r) => r.run_id)).toStrictEqual([first.run_id]);
    expect((await call<V1RunList>('GET', '/v1/workflow-runs?agent=lead-router&status=completed', undefined, who)).json.data.map((r) => r.run_id)).toStrictEqual([second.run_id]);
    expect((await call<V1RunList>('GET', '/v1/workflow-runs?agent=someone-else', undefined, who)).json).toStrictEqual({ data: [], next_cursor: null });

    const page1 = (await call<V1RunList>('GET', '/v1/workflow-runs?limit=1', undefined, who)).json;
    expect(page1.data).toHaveLength(1);
    expect(page1.next_cursor).toEqual(expect.any(String));
    const page2 = (await call<V1RunList>('GET', `/v1/workflow-runs?limit=1&cursor=${encodeURIComponent(page1.next_cursor!)}`, undefined, who)).json;
    expect(page2.data).toHaveLength(1);
    // Newest first; the last page says so.
    expect([page1.data[0]!.run_id, page2.data[0]!.run_id]).toStrictEqual([second.run_id, first.run_id]);
    expect(page2.next_cursor).toBeNull();
  });

  it('cancels a paused run, answering it cancelled; a repeated DELETE answers the same', async () => {
    const { json: paused } = await call('POST', '/v1/agents/lead-router/workflow', seedStart);
    const cancelled = await call('DELETE', `/v1/workflow-runs/${paused.run_id}`);
    expect(cancelled.status).toBe(200);
    expect(cancelled.json).toStrictEqual({
      output: {
        status: 'cancelled',
        steps: [
          { name: 'classify', status: 'completed', output: { category: 'enterprise' } },
          { name: 'approval', status: 'cancelled', output: null },
        ],
        result: null,
        pendingAction: null,
      },
      run_id: paused.run_id,
    });
    expect((await call('GET', `/v1/workflow-runs/${paused.run_id}`)).json).toStrictEqual(cancelled.json);
    // Cancelled is where the first DELETE left it: a retried DELETE is told so (a completed run is 409 run_finished).
    const repeated = await call('DELETE', `/v1/workflow-runs/${paused.run_id}`);
    expect({ status: repeated.status, json: repeated.json }).toStrictEqual({ status: cancelled.status, json: cancelled.json });
  });

  it('cancels a running run', async () => {
    const { json: running } = await call('POST', '/v1/agents/lead-router/workflow?waitMs=0', seedStart);
    expect(running.output.status).toBe('running');
    const cancelled = await call('DELETE', `/v1/workflow-runs/${running.run_id}`);
    expect(cancelled.status).toBe(200);
    expect(cancelled.json.output.status).toBe('cancelled');
  });
});

describe('OpenAPI', () => {
  it('documents every v1 route with its success body and the error body', async () => {
    const doc = (await (await fetch(`${stack.url}/openapi.json`)).json()) as {
      paths: Record<string, Record<string, { responses: Record<string, unknown> }>>;
      components: { schemas: Record<string, unknown> };
    };
    const routes = {
      '/v1/agents/{name}/workflow': { post: ['200', '400', '401', '404', '413', '415', '502', '503'] },
      '/v1/workflow-runs/{runId}/resume': { post: ['200', '400', '401', '403', '404', '409', '413', '415', '422', '502', '503'] },
      '/v1/workflow-runs': { get: ['200', '400', '401', '502', '503'] },
      '/v1/workflow-runs/{runId}': { get: ['200', '401', '404', '502', '503'], delete: ['200', '202', '401', '404', '409', '502', '503'] },
    };
    for (const [path, methods] of Object.entries(routes)) {
      for (const [method, statuses] of Object.entries(methods)) {
        const operation = doc.paths[path]?.[method];
        expect(operation, `${method} ${path}`).toBeDefined();
        expect(Object.keys(operation!.responses)).toEqual(expect.arrayContaining(statuses));
      }
    }
    expect(JSON.stringify(doc.paths['/v1/workflow-runs/{runId}/resume']!.post)).toContain('idempotency-key');
    const start = JSON.stringify(doc.paths['/v1/agents/{name}/workflow']!.post);
    for (const field of ['#/components/schemas/V1Run', '#/components/schemas/V1StartWorkflowBody', 'idempotency-key', 'waitMs']) expect(start).toContain(field);
    const run = JSON.stringify(doc.components.schemas.V1Run);
    for (const field of ['run_id', 'status', 'steps', 'result', 'pendingAction', '#/components/schemas/PendingAction']) expect(run).toContain(`"${field}"`);
    for (const field of ['confirmation', 'options']) expect(JSON.stringify(doc.components.schemas.PendingAction)).toContain(`"${field}"`);
    expect(JSON.stringify(doc.components.schemas.V1StartWorkflowBody)).toContain('"task"');
    expect(JSON.stringify(doc.paths['/v1/workflow-runs']!.get!.responses['200'])).toContain('#/components/schemas/V1RunList');
    expect(JSON.stringify(doc.paths['/v1/workflow-runs']!.get!.responses['400'])).toContain('#/components/schemas/Error');
    expect(JSON.stringify(doc.components.schemas.Error)).toContain('"details"');
  });
});
