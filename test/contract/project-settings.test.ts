// Project settings, reminders and onTimeout on the composed runtime (real dev server, real store,
// real HTTP): a settings change reaches new runs only, reminders arrive as webhooks before the
// deadline, and each onTimeout does what it says and leaves it in the audit trail.
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { ProjectSettingsView } from '../../src/domain/project-settings.ts';
import type { AgentManagerRunDetail } from '../../src/domain/agent-manager-runs.ts';
import type { V1Run } from '../../src/domain/v1-api.ts';
import { webhookEventSchema, type WebhookEvent } from '../../src/domain/webhook.ts';
import { formatRun } from '../../src/cli/run-text.ts';
import { settingsCommand } from '../../src/cli/settings-command.ts';
import { createClient } from '../../src/sdk/index.ts';
import { startAgentManagerStack, testMaxBodyBytes, type AgentManagerStack } from './agent-manager-stack.ts';
import { eventually } from '../integration/engine-harness.ts';
import { runOperatorCommand } from '../fixtures/operator-cli.ts';

let stack: AgentManagerStack;
const received: Array<{ at: number; event: WebhookEvent }> = [];
let receiver: Server;
let receiverUrl: string;

beforeAll(async () => {
  receiver = createServer((req, res) => {
    let body = '';
    req.on('data', (chunk: Buffer) => (body += chunk.toString()));
    req.on('end', () => {
      received.push({ at: Date.now(), event: webhookEventSchema.parse(JSON.parse(body)) });
      res.writeHead(204).end();
    });
  });
  await new Promise<void>((resolve) => receiver.listen(0, '127.0.0.1', resolve));
  receiverUrl = `http://127.0.0.1:${(receiver.address() as AddressInfo).port}/hook`;
  // The stack allows 127.0.0.1 (BATON_EGRESS_ALLOW) and runs with BATON_PAUSE_TIMEOUT=1h.
  stack = await startAgentManagerStack('settings');
}, 120_000);
afterAll(async () => {
  await stack?.close();
  receiver?.closeAllConnections();
  receiver?.close();
});

/** A workflow of the given steps; pauseTimeout null so the project's setting (or the server's) decides. */
async function workflow(steps: unknown[], extra: Record<string, unknown> = {}, project?: string): Promise<string> {
  const created = await stack.call<{ id: string }>('POST', '/api/v1/workflows', { body: { name: 'settings test', pauseTimeout: null, ...extra }, ...(project ? { project } : {}) });
  expect(created.status).toBe(200);
  await stack.call('PATCH', `/api/v1/workflows/${created.json.id}`, { body: { pauseTimeout: null }, ...(project ? { project } : {}) });
  for (const step of steps) {
    const added = await stack.call('POST', `/api/v1/workflows/${created.json.id}/steps`, { body: step, ...(project ? { project } : {}) });
    expect(added).toMatchObject({ status: 200 });
  }
  return created.json.id;
}

const approval = (extra: Record<string, unknown> = {}) => ({ type: 'approval', name: 'review', message: 'Go ahead with {{input}}?', options: ['approve', 'reject'], ...extra });

async function run(workflowId: string, project?: string): Promise<string> {
  const started = await stack.call<{ runId: string }>('POST', `/api/v1/workflows/${workflowId}/run`, { body: { input: 'the plan' }, ...(project ? { project } : {}) });
  expect(started.status).toBe(202);
  return started.json.runId;
}

async function detail(runId: string, project?: string): Promise<AgentManagerRunDetail> {
  const read = await stack.call<AgentManagerRunDetail>('GET', `/api/v1/workflows/runs/${runId}`, project ? { project } : {});
  expect(read.status).toBe(200);
  return read.json;
}

async function v1Run(runId: string, project?: string): Promise<V1Run> {
  const read = await stack.call<V1Run>('GET', `/v1/workflow-runs/${runId}`, project ? { project } : {});
  expect(read.status).toBe(200);
  return read.json;
}

async function pausedDetail(runId: string, project?: string): Promise<AgentManagerRunDetail> {
  return await eventually(async () => {
    const read = await detail(runId, project);
    expect(read.status).toBe('PAUSED');
    return read;
  });
}

async function settled(runId: string, status: string, project?: string, timeoutMs = 20_000): Promise<AgentManagerRunDetail> {
  return await eventually(async () => {
    const read = await detail(runId, project);
    expect(read.status).toBe(status);
    return read;
  }, timeoutMs);
}

describe('project settings', () => {
  it('answers the server defaults for a project that set nothing', async () => {
    const read = await stack.call<ProjectSettingsView>('GET', '/api/v1/settings', { project: stack.projects[1] });
    expect(read).toEqual({
      status: 200,
      json: {
        settings: {},
        serverDefaults: { pauseTimeout: '1h', remindAfter: null, remindEvery: null },
        effective: { pauseTimeout: '1h', remindAfter: null, remindEvery: null },
        updatedAt: null,
      },
    });
  });

  it('changes the pause timeout of runs started after the change, never of a run already paused', async () => {
    const project = stack.projects[1];
    const id = await workflow([approval()], {}, project);
    const before = await run(id, project);
    const waiting = await pausedDetail(before, project);
    // The server default (1h) applies; the deadline is shown.
    expect(Date.parse(waiting.pendingAction!.expiresAt!) - Date.now()).toBeGreaterThan(50 * 60_000);

    const patched = await stack.call<ProjectSettingsView>('PATCH', '/api/v1/settings', { project, body: { pauseTimeout: '2s' }, headers: { 'content-type': 'application/merge-patch+json' } });
    expect(patched.status).toBe(200);
    expect(patched.json).toMatchObject({ settings: { pauseTimeout: '2s' }, effective: { pauseTimeout: '2s', remindAfter: null } });
    expect(Date.parse(patched.json.updatedAt!)).toBeGreaterThan(Date.now() - 60_000);

    const after = await run(id, project);
    const shortly = await pausedDetail(after, project);
    expect(Date.parse(shortly.pendingAction!.expiresAt!) - Date.parse(shortly.createdAt)).toBeLessThan(10_000);
    const failed = await settled(after, 'FAILED', project);
    expect(failed.error).toMatchObject({ code: 'pause_timeout', step: 'review' });
    // The run that paused before the change still waits, with its deadline as it was.
    const still = await detail(before, project);
    expect([still.status, still.pendingAction?.expiresAt]).toEqual(['PAUSED', waiting.pendingAction!.expiresAt]);

    // A step's own pauseTimeout still wins over the project's; null clears the setting.
    const cleared = await stack.call<ProjectSettingsView>('PATCH', '/api/v1/settings', { project, body: { pauseTimeout: null } });
    expect(cleared.json).toMatchObject({ settings: {}, effective: { pauseTimeout: '1h' } });
  }, 60_000);

  it('sends run.reminder webhooks from the project setting before the deadline, then the step fails at it', async () => {
    const project = stack.projects[0];
    const hook = await stack.call<{ id: string }>('POST', '/api/v1/webhooks', { body: { url: receiverUrl } });
    expect(hook.status).toBe(201);
    expect((await stack.call('PATCH', '/api/v1/settings', { body: { remindAfter: '1s', remindEvery: '1s' } })).status).toBe(200);
    try {
      const id = await workflow([approval({ pauseTimeout: '4s' })]);
      const runId = await run(id);
      const failed = await settled(runId, 'FAILED', project, 30_000);
      expect(failed.error).toMatchObject({ code: 'pause_timeout' });
      const events = await eventually(async () => {
        const ofRun = received.filter((entry) => entry.event.run.run_id === runId);
        expect(ofRun.map((entry) => entry.event.type)).toContain('run.failed');
        return ofRun;
      });
      const reminders = events.filter((entry) => entry.event.type === 'run.reminder');
      expect(reminders.length).toBeGreaterThanOrEqual(1);
      const first = reminders[0]!.event;
      const pending = first.run.output.pendingAction!;
      expect(pending).toMatchObject({ step: 'review', reminders: 1 });
      // Sent before the deadline, and the deadline it names is the run's.
      expect(Date.parse(pending.remindedAt!)).toBeLessThan(Date.parse(pending.expiresAt!));
      expect(reminders[0]!.at).toBeLessThan(Date.parse(pending.expiresAt!));
      expect(events.map((entry) => entry.event.type).indexOf('run.reminder')).toBeLessThan(events.map((entry) => entry.event.type).indexOf('run.failed'));
    } finally {
      await stack.call('PATCH', '/api/v1/settings', { body: { remindAfter: null, remindEvery: null } });
      await stack.call('DELETE', `/api/v1/webhooks/${hook.json.id}`);
    }
  }, 60_000);
});

describe('precedence', () => {
  it('takes each setting from the step, then the workflow, then the project', async () => {
    const hook = await stack.call<{ id: string }>('POST', '/api/v1/webhooks', { body: { url: receiverUrl, events: ['run.reminder', 'run.completed'] } });
    // The project would remind only after an hour: the workflow's 1s wins for a step without its own,
    // and a step's 'never' wins over the workflow's.
    await stack.call('PATCH', '/api/v1/settings', { body: { remindAfter: '1h' } });
    try {
      const id = await workflow([
        approval({ name: 'first' }),
        approval({ name: 'second', remindAfter: 'never', pauseTimeout: '3s', onTimeout: { answer: 'approve' } }),
      ], { remindAfter: '1s', remindEvery: '1s' });
      const runId = await run(id);
      await eventually(async () => {
        const read = await detail(runId);
        expect(read.pendingAction).toMatchObject({ step: 'first', reminders: expect.any(Number) as number });
      }, 20_000);
      const answered = await stack.call('POST', `/api/v1/workflows/runs/${runId}/resume`, { body: { output: 'approve' } });
      expect(answered.status).toBe(202);
      await settled(runId, 'COMPLETED');
      const events = await eventually(async () => {
        const ofRun = received.filter((entry) => entry.event.run.run_id === runId);
        expect(ofRun.map((entry) => entry.event.type)).toContain('run.completed');
        return ofRun;
      });
      const remindedSteps = new Set(events.filter((entry) => entry.event.type === 'run.reminder').map((entry) => entry.event.run.output.pendingAction?.step));
      expect(remindedSteps).toEqual(new Set(['first']));
    } finally {
      await stack.call('PATCH', '/api/v1/settings', { body: { remindAfter: null } });
      await stack.call('DELETE', `/api/v1/webhooks/${hook.json.id}`);
    }
  }, 60_000);
});

describe('onTimeout', () => {
  it('fail: the run fails with pause_timeout at the step', async () => {
    const runId = await run(await workflow([approval({ pauseTimeout: '1s', onTimeout: 'fail' })]));
    const failed = await settled(runId, 'FAILED');
    expect(failed.error).toMatchObject({ code: 'pause_timeout', step: 'review' });
    expect(failed.answers).toEqual([]);
  }, 30_000);

  it('answer: the run goes on as if a human had answered, and the audit trail says Baton did', async () => {
    const id = await workflow([approval({ pauseTimeout: '1s', onTimeout: { answer: 'reject' } }), { type: 'input', name: 'after', message: 'More?' }]);
    const runId = await run(id);
    const next = await eventually(async () => {
      const read = await detail(runId);
      expect(read.pendingAction?.step).toBe('after');
      return read;
    });
    expect(next.steps.find((step) => step.name === 'review')).toMatchObject({ status: 'COMPLETED', output: 'reject' });
    expect(next.answers).toEqual([
      { step: 'review', type: 'confirmation', output: 'reject', comment: expect.stringContaining("onTimeout default") as string, answeredBy: { via: 'system', label: null }, answeredAt: expect.any(String) as string },
    ]);
    const v1 = await v1Run(runId);
    expect(v1.output.answers).toEqual([expect.objectContaining({ step: 'review', input: 'reject', answeredBy: { via: 'system', label: null } })]);
    // The input step waits without a deadline of its own: the server's 1h.
    expect(Date.parse(v1.output.pendingAction!.expiresAt!) - Date.now()).toBeGreaterThan(50 * 60_000);
  }, 30_000);

  it('goto: the run continues at the named step with the timed-out step\'s input, and the step and trail say why', async () => {
    const id = await workflow([
      { type: 'input', name: 'escalate', message: 'Escalated: {{input}}' },
    ]);
    // The escalation target exists first; the timed-out step is inserted before it.
    const added = await stack.call('POST', `/api/v1/workflows/${id}/steps`, { body: approval({ stepOrder: 1, pauseTimeout: '1s', onTimeout: { goto: 'escalate' }, next: { '*': 'end' } }) });
    expect(added.status).toBe(200);
    const runId = await run(id);
    const escalated = await eventually(async () => {
      const read = await v1Run(runId);
      expect(read.output.pendingAction?.step).toBe('escalate');
      return read;
    });
    expect(escalated.output.pendingAction?.message).toBe('Escalated: the plan');
    expect(escalated.output.steps).toEqual([{ name: 'review', status: 'failed', output: null }]);
    expect(escalated.output.answers).toEqual([expect.objectContaining({ step: 'review', input: { goto: 'escalate' }, answeredBy: { via: 'system', label: null }, comment: expect.stringContaining('went on at step "escalate"') as string })]);
    // Answered by a human, the escalation finishes the run.
    const resumed = await stack.call<V1Run>('POST', `/v1/workflow-runs/${runId}/resume`, { body: { input: { resume: { step: 'escalate', input: 'handled' } } } });
    expect(resumed.json.output).toMatchObject({ status: 'completed', result: 'handled' });
  }, 30_000);
});

describe('onTimeout goto whose target was removed', () => {
  it('fails the run with invalid_definition at the deadline instead of breaking the workflow', async () => {
    const id = await workflow([{ type: 'input', name: 'escalate', message: 'Escalated' }]);
    expect((await stack.call('POST', `/api/v1/workflows/${id}/steps`, { body: approval({ stepOrder: 1, pauseTimeout: '1s', onTimeout: { goto: 'escalate' } }) })).status).toBe(200);
    const steps = await stack.call<Array<{ id: string; name: string }>>('GET', `/api/v1/workflows/${id}/steps`);
    expect((await stack.call('DELETE', `/api/v1/workflows/${id}/steps/${steps.json.find((step) => step.name === 'escalate')!.id}`)).status).toBe(204);
    const failed = await settled(await run(id), 'FAILED');
    expect(failed.error).toMatchObject({ code: 'invalid_definition', step: 'review', message: expect.stringContaining('"escalate", which is not a step of this definition') as string });
  }, 30_000);
});

describe('bad input', () => {
  const unchanged = async () => (await stack.call<ProjectSettingsView>('GET', '/api/v1/settings')).json.settings;

  it('refuses malformed, mistyped, unknown and oversize settings, and changes nothing', async () => {
    expect((await stack.call('PATCH', '/api/v1/settings', { body: { remindAfter: '3h' } })).status).toBe(200);
    const before = await unchanged();
    const refused: Array<[string, Parameters<AgentManagerStack['call']>[2], number]> = [
      ['malformed JSON', { raw: '{"pauseTimeout": ' }, 400],
      ['a boolean for a duration', { body: { pauseTimeout: true } }, 400],
      ['zero duration', { body: { pauseTimeout: '0s' } }, 400],
      ['spaces', { body: { remindAfter: '1 h' } }, 400],
      ['an unknown field', { body: { pauseTimeout: '1h', colour: 'red' } }, 400],
      ['an array body', { raw: '[]' }, 400],
      ['no body', { headers: { 'content-type': 'application/json' } }, 400],
      ['plain text', { raw: 'pauseTimeout=1h', headers: { 'content-type': 'text/plain' } }, 415],
      ['oversize', { body: { pauseTimeout: '1h', padding: 'x'.repeat(testMaxBodyBytes) } }, 413],
    ];
    for (const [label, options, status] of refused) {
      const answer = await stack.call('PATCH', '/api/v1/settings', options);
      expect([label, answer.status]).toEqual([label, status]);
      if (status === 400) expect([label, answer.json.error.code]).toEqual([label, 'invalid_request']);
    }
    expect(await unchanged()).toEqual(before);
    expect((await stack.call('GET', '/api/v1/settings', { project: null })).status).toBe(401);
    await stack.call('PATCH', '/api/v1/settings', { body: { remindAfter: null } });
  });

  it('refuses step deadline fields that could not run, and adds no step', async () => {
    const id = await workflow([approval()]);
    const refused: Array<[string, unknown]> = [
      ['an answer that is not an option', approval({ name: 'second', onTimeout: { answer: 'maybe' } })],
      ['an answer that does not match the schema', { type: 'input', name: 'amount', message: 'How much?', schema: { type: 'number' }, onTimeout: { answer: 'lots' } }],
      ['a goto to no step', approval({ name: 'second', onTimeout: { goto: 'nowhere' } })],
      ['a goto that is not a step name', approval({ name: 'second', onTimeout: { goto: 'Not A Slug!' } })],
      ['an unknown onTimeout', approval({ name: 'second', onTimeout: 'retry' })],
      ['both answer and goto', approval({ name: 'second', onTimeout: { answer: 'approve', goto: 'review' } })],
      ['an answer missing', approval({ name: 'second', onTimeout: {} })],
      ['a reminder that is not a duration', approval({ name: 'second', remindAfter: 'soon' })],
      ['a reminder on an agent step without review', { agentId: 'sleeper', action: 'x', remindAfter: '1h' }],
      ['an onTimeout on an agent step without review', { agentId: 'sleeper', action: 'x', onTimeout: { answer: 'x' } }],
    ];
    for (const [label, body] of refused) {
      const answer = await stack.call('POST', `/api/v1/workflows/${id}/steps`, { body });
      expect([label, answer.status, answer.json?.error?.code]).toEqual([label, 400, 'invalid_request']);
    }
    const steps = await stack.call<unknown[]>('GET', `/api/v1/workflows/${id}/steps`);
    expect(steps.json).toHaveLength(1);
    // What the API accepts runs: a goto to an existing step, an option, a reviewed agent step's replacement.
    for (const body of [approval({ name: 'second', onTimeout: { goto: 'review' }, remindAfter: 'never' }), approval({ name: 'third', onTimeout: { answer: 'approve' } }), { agentId: 'sleeper', action: 'x', requireApproval: true, onTimeout: { answer: { any: 'output' } }, remindEvery: '1h' }]) {
      expect((await stack.call('POST', `/api/v1/workflows/${id}/steps`, { body })).status).toBe(200);
    }
    // Workflow-level reminders: checked like the step's.
    expect((await stack.call('PATCH', `/api/v1/workflows/${id}`, { body: { remindAfter: 'tomorrow' } })).status).toBe(400);
    const patched = await stack.call<{ remindAfter: unknown; remindEvery: unknown }>('PATCH', `/api/v1/workflows/${id}`, { body: { remindAfter: '2h', remindEvery: '1h' } });
    expect(patched.json).toMatchObject({ remindAfter: '2h', remindEvery: '1h' });
    expect((await stack.call<{ remindAfter: unknown }>('PATCH', `/api/v1/workflows/${id}`, { body: { remindAfter: null } })).json.remindAfter).toBeNull();
    const copy = await stack.call<{ remindAfter: unknown; remindEvery: unknown; steps: unknown[] }>('POST', `/api/v1/workflows/${id}/clone`);
    expect(copy.json).toMatchObject({ remindAfter: null, remindEvery: '1h', steps: [expect.anything(), expect.objectContaining({ onTimeout: { goto: 'review' } }), expect.anything(), expect.anything()] });
  });
});

describe('SDK and CLI', () => {
  it('reads and changes the settings through the SDK, which reports refusals as BatonApiError', async () => {
    const client = createClient({ baseUrl: stack.url, apiKey: stack.keyOf(stack.projects[0]) });
    const changed = await client.settings.update({ remindAfter: '2h', remindEvery: '1d' });
    expect(changed).toMatchObject({ settings: { remindAfter: '2h', remindEvery: '1d' }, effective: { pauseTimeout: '1h', remindAfter: '2h', remindEvery: '1d' } });
    expect(await client.settings.get()).toEqual(changed);
    await expect(client.settings.update({ remindAfter: 'soon' })).rejects.toMatchObject({ status: 400, code: 'invalid_request' });
    expect((await client.settings.update({ remindAfter: null, remindEvery: null })).settings).toEqual({});
  });

  it('baton settings get|set shows where each value comes from and refuses bad usage', async () => {
    const env = { BATON_URL: stack.url, BATON_API_KEY: stack.keyOf(stack.projects[0]) };
    const baton = (args: string[]) => runOperatorCommand(settingsCommand, args, env);
    const set = await baton(['set', 'pauseTimeout=never', 'remindAfter=30m']);
    expect(set.code).toBe(0);
    expect(set.out.split('\n').slice(0, 4)).toEqual([
      'SETTING       VALUE  FROM',
      'pauseTimeout  never  project',
      'remindAfter   30m    project',
      'remindEvery   -      server default',
    ]);
    expect(JSON.parse((await baton(['get', '--json'])).out)).toMatchObject({ settings: { pauseTimeout: 'never', remindAfter: '30m' } });
    expect(await baton(['set', 'remindAfter=1 h'])).toMatchObject({ code: 1, err: expect.stringContaining('invalid_request (HTTP 400)') as string });
    expect(await baton(['set', 'colour=red'])).toMatchObject({ code: 2, err: expect.stringContaining('not FIELD=VALUE') as string });
    expect(await baton(['set'])).toMatchObject({ code: 2 });
    expect(await baton(['frobnicate'])).toMatchObject({ code: 2, err: expect.stringContaining('unknown command: settings frobnicate') as string });
    expect((await baton(['set', 'pauseTimeout=null', 'remindAfter=null'])).out).toContain('pauseTimeout  1h     server default');
  });

  it('baton runs get shows the deadline and the reminders of a paused run', async () => {
    const runId = await run(await workflow([approval({ pauseTimeout: '1h', remindAfter: '1s', remindEvery: '1s' })]));
    const reminded = await eventually(async () => {
      const read = await v1Run(runId);
      expect(read.output.pendingAction?.reminders).toBeGreaterThanOrEqual(1);
      return read;
    });
    const text = formatRun(reminded);
    expect(text).toContain(`  Deadline: ${reminded.output.pendingAction!.expiresAt} (then the step's onTimeout applies)`);
    expect(text).toMatch(/ {2}Reminded: \d+ times?, last at \d{4}-/);
    await stack.call('DELETE', `/v1/workflow-runs/${runId}`);
  }, 30_000);
});
