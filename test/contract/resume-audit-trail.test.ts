// The audit trail of answers, through both APIs against the real app, engine and dev server: a
// resume with a comment, sent with a labelled API key (BATON_API_KEYS key:project:label), is read
// back from the run with who answered, when and why; a bad comment changes nothing.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { runsCommand } from '../../src/cli/runs-command.ts';
import type { AgentManagerRunDetail, ResumeAccepted, RunAccepted } from '../../src/domain/agent-manager-runs.ts';
import type { ErrorBody } from '../../src/domain/errors.ts';
import type { V1Run } from '../../src/domain/v1-api.ts';
import { createClient, type BatonClient } from '../../src/sdk/index.ts';
import { startBatonStack, type BatonStack } from '../integration/baton-stack.ts';
import { eventually, uniqueProject } from '../integration/engine-harness.ts';
import { runOperatorCommand } from '../fixtures/operator-cli.ts';
import { keyedJsonCaller } from '../fixtures/json-call.ts';

let stack: BatonStack;
let project: string;
// Three keys of one project: two labelled, one (the stack's own) without a label.
const aliceKey = 'audit-key-alice';
const opsKey = 'audit-key-ops';
let plainKey: string;

beforeAll(async () => {
  project = uniqueProject('audit');
  plainKey = `key-${project}`;
  stack = await startBatonStack({
    name: 'audit',
    projects: [project],
    env: { BATON_API_KEYS: `${plainKey}:${project},${aliceKey}:${project}:alice,${opsKey}:${project}:ops-bot@example.com` },
  });
  await stack.store.definitions.upsertExample(project, {
    id: 'wf-audit',
    name: 'Audited intake',
    agent: 'audit-intake',
    steps: [
      { name: 'details', type: 'input', message: 'How many employees?', schema: { type: 'object', required: ['employees'], properties: { employees: { type: 'integer' } } } },
      { name: 'approval', type: 'approval', message: 'Route to enterprise?', options: ['approve', 'reject'] },
    ],
  });
});
afterAll(async () => stack?.close());

const sdk = (key: string): BatonClient => createClient({ baseUrl: stack.url, apiKey: key });
const start = { input: { task: 'Take in this lead' } };
const isoTime = /^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d(\.\d+)?Z$/;

const keyedCall = keyedJsonCaller(() => stack.url);
const call = <T = ErrorBody>(method: string, path: string, key: string, body?: unknown) => keyedCall<T>(method, path, key, body);

describe('the v1 API', () => {
  it('keeps each answer with its comment and the key\'s label, oldest first, in the run it answers and in GET', async () => {
    const paused = await sdk(aliceKey).agents.workflow('audit-intake', start);
    expect(paused.output.status).toBe('paused');
    // Until someone answers, the body is exactly the specification's.
    expect(paused.output).not.toHaveProperty('answers');

    const beforeAnswer = Date.now();
    const atApproval = await sdk(aliceKey).workflowRuns.resume(paused.run_id, {
      input: { resume: { step: 'details', input: { employees: 40 }, comment: 'From the call notes.' } },
    });
    expect(atApproval.output).toMatchObject({ status: 'paused', pendingAction: { step: 'approval' } });
    expect(atApproval.output.answers).toStrictEqual([
      { step: 'details', type: 'input', input: { employees: 40 }, comment: 'From the call notes.', answeredBy: { via: 'api', label: 'alice' }, answeredAt: expect.stringMatching(isoTime) as string },
    ]);
    expect(Date.parse(atApproval.output.answers![0]!.answeredAt)).toBeGreaterThanOrEqual(beforeAnswer - 1000);

    // Another key of the project, without a label and without a comment.
    const done = await sdk(plainKey).workflowRuns.resume(paused.run_id, { input: { resume: { step: 'approval', input: 'approve' } } });
    expect(done.output.status).toBe('completed');
    expect(done.output.answers?.map(({ step, input, comment, answeredBy }) => ({ step, input, comment, answeredBy }))).toStrictEqual([
      { step: 'details', input: { employees: 40 }, comment: 'From the call notes.', answeredBy: { via: 'api', label: 'alice' } },
      { step: 'approval', input: 'approve', comment: null, answeredBy: { via: 'api', label: null } },
    ]);
    expect((await sdk(aliceKey).workflowRuns.get(paused.run_id)).output.answers).toStrictEqual(done.output.answers);
  });

  it('refuses a comment that is not text, or longer than 4000 characters, with 400 invalid_request and leaves the run as it was', async () => {
    const paused = await sdk(aliceKey).agents.workflow('audit-intake', start);
    const resume = (comment: unknown) => call(`POST`, `/v1/workflow-runs/${paused.run_id}/resume`, aliceKey, { input: { resume: { step: 'details', input: { employees: 3 }, comment } } });
    for (const comment of [42, { text: 'why' }, ['why'], null, 'x'.repeat(4001)]) {
      const refused = await resume(comment);
      expect([refused.status, refused.json.error.code], JSON.stringify(comment).slice(0, 40)).toEqual([400, 'invalid_request']);
      expect(JSON.stringify(refused.json.error.details)).toContain('comment');
    }
    expect(await sdk(aliceKey).workflowRuns.get(paused.run_id)).toStrictEqual(paused);
    // Exactly 4000 characters is a comment.
    const longest = 'y'.repeat(4000);
    const answered = await resume(longest) as unknown as { status: number; json: V1Run };
    expect(answered.status).toBe(200);
    expect(answered.json.output.answers?.[0]?.comment).toBe(longest);
  });

  it('answers a retry with the same Idempotency-Key and answer as the first did, keeping the first comment', async () => {
    const paused = await sdk(aliceKey).agents.workflow('audit-intake', start);
    const send = (comment: string) => sdk(aliceKey).workflowRuns.resume(paused.run_id, {
      idempotencyKey: 'audit-retry', input: { resume: { step: 'details', input: { employees: 7 }, comment } },
    });
    const first = await send('First wording.');
    const retried = await send('Second wording.');
    expect(retried).toStrictEqual(first);
    const now = await sdk(aliceKey).workflowRuns.get(paused.run_id);
    expect(now.output.answers?.map((answer) => answer.comment)).toStrictEqual(['First wording.']);
  });
});

describe('the Agent Manager API', () => {
  async function pausedRun(): Promise<{ runId: string; detail: AgentManagerRunDetail }> {
    const started = await call<RunAccepted>('POST', '/api/v1/workflows/wf-audit/run', opsKey, { input: 'Take in this lead' });
    expect(started.status).toBe(202);
    const detail = await eventually(async () => {
      const run = await call<AgentManagerRunDetail>('GET', `/api/v1/workflows/runs/${started.json.runId}`, opsKey);
      expect(run.json.status).toBe('PAUSED');
      return run.json;
    });
    return { runId: started.json.runId, detail };
  }

  it('keeps the resume\'s output with its comment and the key\'s label in the run\'s answers', async () => {
    const { runId, detail } = await pausedRun();
    expect(detail.answers).toStrictEqual([]);

    const resumed = await call<ResumeAccepted>('POST', `/api/v1/workflows/runs/${runId}/resume`, opsKey, { output: { employees: 12 }, comment: 'Checked the registry.' });
    expect(resumed.status).toBe(202);
    const answered = await eventually(async () => {
      const run = await call<AgentManagerRunDetail>('GET', `/api/v1/workflows/runs/${runId}`, opsKey);
      expect(run.json.answers).toHaveLength(1);
      return run.json;
    });
    expect(answered.answers).toStrictEqual([
      { step: 'details', type: 'input', output: { employees: 12 }, comment: 'Checked the registry.', answeredBy: { via: 'api', label: 'ops-bot@example.com' }, answeredAt: expect.stringMatching(isoTime) as string },
    ]);

    // A second answer, by another labelled key; the v1 API shows the same trail.
    await call<ResumeAccepted>('POST', `/api/v1/workflows/runs/${runId}/resume`, aliceKey, { output: 'reject' });
    const done = await eventually(async () => {
      const run = await call<AgentManagerRunDetail>('GET', `/api/v1/workflows/runs/${runId}`, opsKey);
      expect(run.json.status).toBe('COMPLETED');
      return run.json;
    });
    expect(done.answers.map(({ step, output, comment, answeredBy }) => ({ step, output, comment, answeredBy }))).toStrictEqual([
      { step: 'details', output: { employees: 12 }, comment: 'Checked the registry.', answeredBy: { via: 'api', label: 'ops-bot@example.com' } },
      { step: 'approval', output: 'reject', comment: null, answeredBy: { via: 'api', label: 'alice' } },
    ]);
    const v1 = await sdk(plainKey).workflowRuns.get(runId);
    expect(v1.output.answers?.map(({ step, input, comment, answeredBy, answeredAt }) => ({ step, output: input, comment, answeredBy, answeredAt })))
      .toStrictEqual(done.answers.map(({ step, output, comment, answeredBy, answeredAt }) => ({ step, output, comment, answeredBy, answeredAt })));
  });

  it('refuses a comment that is not text, or longer than 4000 characters, with 400 invalid_request and leaves the run as it was', async () => {
    const { runId, detail } = await pausedRun();
    for (const comment of [42, false, { text: 'why' }, null, 'x'.repeat(4001)]) {
      const refused = await call('POST', `/api/v1/workflows/runs/${runId}/resume`, opsKey, { output: { employees: 1 }, comment });
      expect([refused.status, refused.json.error.code], JSON.stringify(comment).slice(0, 40)).toEqual([400, 'invalid_request']);
      expect(JSON.stringify(refused.json.error.details)).toContain('comment');
    }
    expect((await call<AgentManagerRunDetail>('GET', `/api/v1/workflows/runs/${runId}`, opsKey)).json).toStrictEqual(detail);
  });
});

describe('baton runs', () => {
  const baton = (args: string[], key: string) => runOperatorCommand(runsCommand, args, { BATON_URL: stack.url, BATON_API_KEY: key });

  it('resume --comment keeps the comment, and get lists the answers with who, when and why', async () => {
    const paused = await sdk(aliceKey).agents.workflow('audit-intake', start);
    const first = await baton(['resume', paused.run_id, '--step', 'details', '--input', '{"employees":5}', '--comment', 'Per the signed form.'], aliceKey);
    expect(first).toMatchObject({ code: 0, err: '' });
    expect(first.out).toMatch(/now paused at step approval/);
    expect((await baton(['resume', paused.run_id, '--step', 'approval', '--input', 'approve'], plainKey)).code).toBe(0);

    const got = await baton(['get', paused.run_id], opsKey);
    expect(got.code).toBe(0);
    const answers = got.out.slice(got.out.indexOf('Answers:')).split('\n');
    expect(answers.slice(0, 7)).toEqual([
      'Answers:',
      '  1. details (input): {"employees":5}',
      expect.stringMatching(/^ {5}by alice \(api\) at \d{4}-\d\d-\d\dT[\d:.]+Z$/) as string,
      '     Comment:',
      '       Per the signed form.',
      '  2. approval (confirmation): approve',
      expect.stringMatching(/^ {5}by api \(no label\) at \d{4}-/) as string,
    ]);
    const json = JSON.parse((await baton(['get', paused.run_id, '--json'], opsKey)).out) as V1Run;
    expect(json.output.answers?.map((answer) => answer.comment)).toStrictEqual(['Per the signed form.', null]);
  });

  it('resume --comment of more than 4000 characters is the API\'s 400, and changes nothing', async () => {
    const paused = await sdk(aliceKey).agents.workflow('audit-intake', start);
    const refused = await baton(['resume', paused.run_id, '--step', 'details', '--input', '{"employees":5}', '--comment', 'z'.repeat(4001)], aliceKey);
    expect(refused.code).toBe(1);
    expect(refused.err).toMatch(/^error: invalid_request \(HTTP 400\): /);
    expect(await sdk(aliceKey).workflowRuns.get(paused.run_id)).toStrictEqual(paused);
  });
});
