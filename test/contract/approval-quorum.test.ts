// N-of-M approvals against the real app, engine and dev server: an approval step with a quorum
// resolves only once enough different people (by API key label) chose its counted option; another
// option ends it at once; a repeated, unlisted or anonymous answer is refused and changes nothing;
// every partial answer is visible in both APIs and arrives as a `run.answered` webhook.
import { createServer, type IncomingHttpHeaders } from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { runsCommand } from '../../src/cli/runs-command.ts';
import type { AgentManagerRunDetail, ResumeAccepted } from '../../src/domain/agent-manager-runs.ts';
import type { ErrorBody } from '../../src/domain/errors.ts';
import type { Step } from '../../src/domain/step.ts';
import type { V1Run } from '../../src/domain/v1-api.ts';
import { webhookEventSchema, type WebhookEvent } from '../../src/domain/webhook.ts';
import { createClient, type BatonClient } from '../../src/sdk/index.ts';
import { csrfOf, InboxClient, textOf } from '../fixtures/inbox-client.ts';
import { startBatonStack, type BatonStack } from '../integration/baton-stack.ts';
import { eventually, uniqueProject } from '../integration/engine-harness.ts';
import { runOperatorCommand } from '../fixtures/operator-cli.ts';
import { keyedJsonCaller } from '../fixtures/json-call.ts';

let stack: BatonStack;
let project: string;
let plainKey: string;
const keys = { alice: 'quorum-key-alice', bob: 'quorum-key-bob', carol: 'quorum-key-carol', dave: 'quorum-key-dave' } as const;
const received: Array<{ headers: IncomingHttpHeaders; event: WebhookEvent }> = [];
const receiver = createServer((req, res) => {
  let body = '';
  req.on('data', (chunk: Buffer) => (body += chunk.toString()));
  req.on('end', () => {
    received.push({ headers: req.headers, event: webhookEventSchema.parse(JSON.parse(body)) });
    res.writeHead(204).end();
  });
});

beforeAll(async () => {
  await new Promise<void>((resolve) => receiver.listen(0, '127.0.0.1', resolve));
  project = uniqueProject('quorum');
  plainKey = `key-${project}`;
  stack = await startBatonStack({
    name: 'quorum',
    projects: [project],
    env: { BATON_API_KEYS: [`${plainKey}:${project}`, ...Object.entries(keys).map(([label, key]) => `${key}:${project}:${label}`)].join(',') },
  });
  await stack.store.definitions.upsertExample(project, {
    id: 'wf-finance-sign-off',
    name: 'Finance sign-off',
    agent: 'finance-sign-off',
    steps: [
      {
        name: 'sign-off', type: 'approval', message: 'Pay the invoice?', options: ['approve', 'reject'],
        quorum: { required: 2, approvers: ['alice', 'bob', 'carol'] },
        next: { reject: 'fail' },
      },
    ],
  });
  // The same vote twice: without a pause timeout of its own, and with one of 5 s.
  for (const [id, agent, pauseTimeout] of [['wf-board-vote', 'board-vote', null], ['wf-board-vote-timed', 'board-vote-timed', '5s']] as const) {
    await stack.store.definitions.upsertExample(project, {
      id, name: 'Board vote', agent, pauseTimeout,
      steps: [
        { name: 'vote', type: 'approval', message: 'Merge?', options: ['yes', 'no'], quorum: { required: 2, approvers: ['alice', 'bob', 'carol'], otherAnswerEnds: false } },
      ],
    });
  }
  // A quorum with a reminder and a default answer: the deadline decides the step whatever the quorum.
  await stack.store.definitions.upsertExample(project, {
    id: 'wf-board-vote-default', name: 'Board vote', agent: 'board-vote-default',
    steps: [
      { name: 'vote', type: 'approval', message: 'Merge?', options: ['yes', 'no'], quorum: { required: 2 }, pauseTimeout: '4s', remindAfter: '1s', onTimeout: { answer: 'no' } },
    ],
  });
  await createClient({ baseUrl: stack.url, apiKey: plainKey }).webhooks.create({ url: `http://127.0.0.1:${(receiver.address() as AddressInfo).port}/hook`, events: ['run.answered'] });
}, 120_000);
afterAll(async () => {
  await stack?.close();
  receiver.closeAllConnections();
  receiver.close();
});

const sdk = (key: string): BatonClient => createClient({ baseUrl: stack.url, apiKey: key });
const isoTime = expect.stringMatching(/^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d(\.\d+)?Z$/) as unknown as string;

const keyedCall = keyedJsonCaller(() => stack.url);
const call = <T = ErrorBody>(method: string, path: string, key: string, body?: unknown) => keyedCall<T>(method, path, key, body);

async function pausedRun(): Promise<string> {
  const paused = await sdk(plainKey).agents.workflow('finance-sign-off', { input: { task: 'Invoice 42' } });
  expect(paused.output.pendingAction).toStrictEqual({
    step: 'sign-off', type: 'confirmation', message: 'Pay the invoice?', options: ['approve', 'reject'],
    quorum: { required: 2, option: 'approve', otherAnswerEnds: true, approvers: ['alice', 'bob', 'carol'], answers: [], remaining: 2 },
    expiresAt: isoTime,
  });
  return paused.run_id;
}

const v1Resume = (runId: string, key: string, input: unknown) => call<V1Run & ErrorBody>('POST', `/v1/workflow-runs/${runId}/resume`, key, { input: { resume: { step: 'sign-off', input } } });
const amResume = (runId: string, key: string, output: unknown) => call<ResumeAccepted & ErrorBody>('POST', `/api/v1/workflows/runs/${runId}/resume`, key, { output });

describe('an approval step that needs two of three people', () => {
  it('stays paused after one approval, shows who answered in both APIs and a run.answered webhook, and completes with the second person\'s approval', async () => {
    const runId = await pausedRun();
    const before = await stack.runs.get(project, runId);

    const partial = await v1Resume(runId, keys.alice, 'approve');
    expect(partial.status).toBe(200);
    expect(partial.json.output.status).toBe('paused');
    const progress = { required: 2, option: 'approve', otherAnswerEnds: true, approvers: ['alice', 'bob', 'carol'], answers: [{ by: { via: 'api', label: 'alice' }, input: 'approve', at: isoTime }], remaining: 1 };
    expect(partial.json.output.pendingAction).toMatchObject({ step: 'sign-off', quorum: progress });
    expect(partial.json.output.steps).toStrictEqual([]);
    expect(partial.json.output.answers).toMatchObject([{ step: 'sign-off', type: 'confirmation', input: 'approve', answeredBy: { via: 'api', label: 'alice' } }]);

    // One version past the pause; the read model (lists, inbox) holds it as the answer returns.
    const after = await stack.runs.get(project, runId);
    expect(after.version).toBe(before.version + 1);
    expect((await stack.store.runs.get(project, runId))?.version).toBe(after.version);
    expect((await sdk(plainKey).workflowRuns.get(runId)).output).toStrictEqual(partial.json.output);
    const detail = await call<AgentManagerRunDetail>('GET', `/api/v1/workflows/runs/${runId}`, keys.bob);
    expect(detail.json).toMatchObject({ status: 'PAUSED', pendingAction: { quorum: progress } });

    const hook = await eventually(async () => {
      const found = received.find((entry) => entry.event.run.run_id === runId);
      expect(found).toBeDefined();
      return found!;
    });
    expect(hook.headers['x-baton-event']).toBe('run.answered');
    expect(hook.event).toMatchObject({ type: 'run.answered', run: { run_id: runId, workflowId: 'wf-finance-sign-off', output: { status: 'paused', pendingAction: { quorum: progress } } } });

    // The second person answers through the Agent Manager API; the step's output is the counted option.
    const second = await amResume(runId, keys.bob, 'approve');
    expect(second.status).toBe(202);
    const done = await eventually(async () => {
      const run = await sdk(plainKey).workflowRuns.get(runId);
      expect(run.output.status).toBe('completed');
      return run;
    });
    expect(done.output.steps).toStrictEqual([{ name: 'sign-off', status: 'completed', output: 'approve' }]);
    expect(done.output.result).toBe('approve');
    expect(done.output.answers?.map((answer) => [answer.answeredBy.label, answer.input])).toStrictEqual([['alice', 'approve'], ['bob', 'approve']]);
    // One run.answered event (the partial answer); the completion is not one.
    expect(received.filter((entry) => entry.event.run.run_id === runId).map((entry) => entry.event.type)).toStrictEqual(['run.answered']);
  });

  it('ends at once when someone rejects, with the reject as the step\'s output (its next fails the run)', async () => {
    const runId = await pausedRun();
    expect((await v1Resume(runId, keys.carol, 'approve')).json.output.status).toBe('paused');
    const rejected = await v1Resume(runId, keys.bob, 'reject');
    expect(rejected.status).toBe(200);
    expect(rejected.json.output).toMatchObject({ status: 'failed', error: { code: 'branch_failed', step: 'sign-off' } });
    expect(rejected.json.output.steps).toStrictEqual([{ name: 'sign-off', status: 'completed', output: 'reject' }]);
  });

  it('refuses the same person answering twice with 409 already_answered, in both APIs, and changes nothing', async () => {
    const runId = await pausedRun();
    await v1Resume(runId, keys.alice, 'approve');
    const before = await stack.runs.get(project, runId);
    for (const input of ['approve', 'reject']) {
      const again = await v1Resume(runId, keys.alice, input);
      expect([again.status, again.json.error.code]).toEqual([409, 'already_answered']);
      expect(again.json.error.message).toMatch(/"alice" already answered/);
      const viaAgentManager = await amResume(runId, keys.alice, input);
      expect([viaAgentManager.status, viaAgentManager.json.error.code]).toEqual([409, 'already_answered']);
    }
    const after = await stack.runs.get(project, runId);
    expect(after).toStrictEqual(before);
    expect(after.answers).toHaveLength(1);
  });

  it('refuses an approver who is not listed (403 not_an_approver) and a key without a label (403 approver_label_required), changing nothing', async () => {
    const runId = await pausedRun();
    const before = await stack.runs.get(project, runId);
    const unlisted = await v1Resume(runId, keys.dave, 'approve');
    expect([unlisted.status, unlisted.json.error.code]).toEqual([403, 'not_an_approver']);
    expect(unlisted.json.error.details).toStrictEqual({ label: 'dave', approvers: ['alice', 'bob', 'carol'] });
    expect((await amResume(runId, keys.dave, 'reject')).json.error.code).toBe('not_an_approver');
    const anonymous = await v1Resume(runId, plainKey, 'approve');
    expect([anonymous.status, anonymous.json.error.code]).toEqual([403, 'approver_label_required']);
    expect(anonymous.json.error.message).toMatch(/label/);
    const anonymousAm = await amResume(runId, plainKey, 'approve');
    expect([anonymousAm.status, anonymousAm.json.error.code]).toEqual([403, 'approver_label_required']);
    expect(await stack.runs.get(project, runId)).toStrictEqual(before);
  });

  it('still checks the answer itself: an input that is not an option is 422 and changes nothing', async () => {
    const runId = await pausedRun();
    const before = await stack.runs.get(project, runId);
    const refused = await v1Resume(runId, keys.alice, 'maybe');
    expect([refused.status, refused.json.error.code]).toEqual([422, 'invalid_resume_input']);
    expect(await stack.runs.get(project, runId)).toStrictEqual(before);
  });
});

describe('an approval step whose other answers do not end it', () => {
  const vote = (runId: string, key: string, input: string) => call<V1Run & ErrorBody>('POST', `/v1/workflow-runs/${runId}/resume`, key, { input: { resume: { step: 'vote', input } } });

  it('counts a "no" as that person\'s answer and ends with it once the listed approvers left cannot meet the quorum', async () => {
    const paused = await sdk(plainKey).agents.workflow('board-vote', { input: { task: 'PR 7' } });
    const first = await vote(paused.run_id, keys.bob, 'no');
    expect(first.json.output).toMatchObject({ status: 'paused', pendingAction: { quorum: { option: 'yes', otherAnswerEnds: false, remaining: 2, answers: [{ by: { label: 'bob' }, input: 'no' }] } } });
    const second = await vote(paused.run_id, keys.carol, 'no');
    expect(second.json.output).toMatchObject({ status: 'completed', result: 'no', steps: [{ name: 'vote', status: 'completed', output: 'no' }] });
  });

  it('fails with pause_timeout when the quorum is not met in time, counted from the pause', async () => {
    const paused = await sdk(plainKey).agents.workflow('board-vote-timed', { input: { task: 'PR 8' } });
    expect((await vote(paused.run_id, keys.alice, 'yes')).json.output.status).toBe('paused');
    const failed = await eventually(async () => {
      const run = await sdk(plainKey).workflowRuns.get(paused.run_id);
      expect(run.output.status).toBe('failed');
      return run;
    });
    expect(failed.output.error).toMatchObject({ code: 'pause_timeout', step: 'vote' });
  });

  it('reminds while the quorum waits, and at the deadline takes the default answer as the step\'s output after a partial answer', async () => {
    const paused = await sdk(plainKey).agents.workflow('board-vote-default', { input: { task: 'PR 9' } });
    expect((await vote(paused.run_id, keys.alice, 'yes')).json.output).toMatchObject({ status: 'paused', pendingAction: { quorum: { remaining: 1 } } });
    const reminded = await eventually(async () => {
      const run = await sdk(plainKey).workflowRuns.get(paused.run_id);
      expect(run.output.pendingAction).toMatchObject({ reminders: 1, quorum: { remaining: 1, answers: [{ by: { label: 'alice' }, input: 'yes' }] } });
      return run;
    });
    expect(reminded.output.status).toBe('paused');
    const completed = await eventually(async () => {
      const run = await sdk(plainKey).workflowRuns.get(paused.run_id);
      expect(run.output.status).toBe('completed');
      return run;
    });
    expect(completed.output).toMatchObject({ result: 'no', steps: [{ name: 'vote', status: 'completed', output: 'no' }] });
    expect(completed.output.answers?.map((answer) => [answer.answeredBy.via, answer.answeredBy.label, answer.input])).toEqual([['api', 'alice', 'yes'], ['system', null, 'no']]);
  });
});

describe('baton runs resume', () => {
  const baton = (args: string[], key: string) => runOperatorCommand(runsCommand, args, { BATON_URL: stack.url, BATON_API_KEY: key });

  it('prints the progress after a partial answer, the 409 of a repeat, and the end once the quorum is met', async () => {
    const runId = await pausedRun();
    const partial = await baton(['resume', runId, '--step', 'sign-off', '--input', 'approve'], keys.carol);
    expect(partial).toMatchObject({ code: 0, err: '' });
    expect(partial.out).toBe(`Resumed ${runId} at step sign-off with "approve"; now paused at step sign-off: Pay the invoice? [approve|reject] — 1 of 2 approve (carol); 1 more needed`);
    const repeat = await baton(['resume', runId, '--step', 'sign-off', '--input', 'approve'], keys.carol);
    expect(repeat.code).toBe(1);
    expect(repeat.err).toMatch(/^error: already_answered \(HTTP 409\): "carol" already answered/);
    const got = await baton(['get', runId], keys.carol);
    expect(got.out).toContain('  Still needed: 1');
    const done = await baton(['resume', runId, '--step', 'sign-off', '--input', 'approve'], keys.alice);
    expect(done.out).toMatch(/; now completed, result approve$/);
  });
});

describe('the inbox', () => {
  async function signedIn(key: string): Promise<InboxClient> {
    const client = new InboxClient(stack.url);
    expect((await client.signIn(key)).status).toBe(303);
    return client;
  }
  const answer = async (client: InboxClient, runId: string, choice: string) => {
    const page = await client.get(`/inbox/runs/${runId}`);
    return await client.post(`/inbox/runs/${runId}/answer`, { csrf: csrfOf(page.text), step: 'sign-off', choice });
  };

  it('shows who answered and how many are still needed, and refuses a second answer by the same person with the API\'s 409', async () => {
    const runId = await pausedRun();
    const alice = await signedIn(keys.alice);
    expect(textOf((await alice.get(`/inbox/runs/${runId}`)).text)).toContain('Needs 2 different of alice, bob, carol to choose approve : 2 more needed .');

    const first = await answer(alice, runId, 'approve');
    expect([first.status, first.headers.get('location')]).toEqual([303, `/inbox/runs/${runId}`]);
    const after = await stack.runs.get(project, runId);
    expect(after).toMatchObject({ status: 'paused', answers: [{ by: { via: 'inbox', label: 'alice' }, input: 'approve' }] });
    // The list and the run's page show the progress (the partial answer is in the read model).
    const listed = textOf((await alice.get('/inbox')).text);
    expect(listed).toContain('1 more needed');
    expect(listed).toMatch(/alice \(inbox\) chose approve/);

    const again = await answer(alice, runId, 'reject');
    expect(again.status).toBe(409);
    expect(textOf(again.text)).toMatch(/"alice" already answered this step \("approve" at [^)]+\); each person counts once already_answered/);
    expect(await stack.runs.get(project, runId)).toStrictEqual(after);

    // Another person, by the API, completes it; inbox and API count the same people.
    const bob = await v1Resume(runId, keys.bob, 'approve');
    expect(bob.json.output.status).toBe('completed');
  });

  it('shows an unlisted person\'s answer refused as not_an_approver', async () => {
    const runId = await pausedRun();
    const refused = await answer(await signedIn(keys.dave), runId, 'approve');
    expect(refused.status).toBe(403);
    expect(textOf(refused.text)).toContain('not_an_approver');
  });
});

describe('the OpenAPI document', () => {
  it('lists the refusals of a quorum\'s answers on both resume operations, and the quorum fields', async () => {
    const doc = (await (await fetch(`${stack.url}/openapi.json`)).json()) as {
      paths: Record<string, Record<string, { responses: Record<string, { description: string }> }>>;
      components: { schemas: Record<string, unknown> };
    };
    for (const path of ['/v1/workflow-runs/{runId}/resume', '/api/v1/workflows/runs/{runId}/resume']) {
      const { responses } = doc.paths[path]!.post!;
      expect([path, responses['403']?.description]).toEqual([path, expect.stringMatching(/approver_label_required.*not_an_approver/)]);
      expect([path, responses['409']?.description]).toEqual([path, expect.stringContaining('already_answered')]);
    }
    for (const field of ['required', 'approvers', 'option', 'otherAnswerEnds']) expect(JSON.stringify(doc.components.schemas.ApprovalQuorum)).toContain(`"${field}"`);
    for (const field of ['answers', 'remaining']) expect(JSON.stringify(doc.components.schemas.QuorumProgress)).toContain(`"${field}"`);
    expect(JSON.stringify(doc.components.schemas.WebhookEventType)).toContain('run.answered');
  });
});

describe('defining a quorum', () => {
  const approval = (quorum: unknown, extra: Partial<Step> = {}) => ({ type: 'approval', message: 'Sign?', options: ['approve', 'reject'], quorum, ...extra });
  let workflowId: string;
  beforeAll(async () => {
    const created = await call<{ id: string }>('POST', '/api/v1/workflows', plainKey, { name: 'Quorum definitions' });
    workflowId = created.json.id;
  });

  it('accepts a quorum that can run and stores it as sent', async () => {
    const added = await call<Step>('POST', `/api/v1/workflows/${workflowId}/steps`, plainKey, approval({ required: 1, option: 'reject', otherAnswerEnds: false }, { name: 'ok' }));
    expect(added.status).toBe(200);
    expect(added.json).toMatchObject({ name: 'ok', quorum: { required: 1, option: 'reject', otherAnswerEnds: false } });
  });

  it.each([
    ['required 0', { required: 0 }, 'quorum.required'],
    ['required more than the approvers', { required: 3, approvers: ['alice', 'bob'] }, 'quorum.required'],
    ['a counted option that is not an option', { required: 1, option: 'maybe' }, 'quorum.option'],
    ['required as text', { required: '2' }, 'quorum.required'],
    ['required not an integer', { required: 1.5 }, 'quorum.required'],
    ['approvers not a list', { required: 1, approvers: 'alice' }, 'quorum.approvers'],
    ['an approver label with a space', { required: 1, approvers: ['alice smith'] }, 'quorum.approvers.0'],
    ['an approver listed twice', { required: 1, approvers: ['alice', 'alice'] }, 'quorum.approvers.1'],
    ['no approvers', { required: 1, approvers: [] }, 'quorum.approvers'],
    ['otherAnswerEnds as text', { required: 1, otherAnswerEnds: 'yes' }, 'quorum.otherAnswerEnds'],
    ['an unknown field', { required: 1, veto: true }, 'quorum'],
    ['a quorum that is not an object', 2, 'quorum'],
  ])('refuses %s with 400 invalid_request naming the field, and stores nothing', async (_name, quorum, path) => {
    const before = await call<Step[]>('GET', `/api/v1/workflows/${workflowId}/steps`, plainKey);
    const refused = await call('POST', `/api/v1/workflows/${workflowId}/steps`, plainKey, approval(quorum));
    expect([refused.status, refused.json.error.code]).toEqual([400, 'invalid_request']);
    expect(JSON.stringify(refused.json.error.details)).toContain(JSON.stringify(path.split('.').map((part) => (/^\d+$/.test(part) ? Number(part) : part))).slice(1, -1));
    expect((await call<Step[]>('GET', `/api/v1/workflows/${workflowId}/steps`, plainKey)).json).toStrictEqual(before.json);
  });
});
