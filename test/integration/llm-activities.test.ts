import { randomUUID } from 'node:crypto';
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import type { Client } from '@temporalio/client';
import { WorkflowFailedError } from '@temporalio/client';
import { ActivityFailure, ApplicationFailure } from '@temporalio/common';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import { createLlmActivities } from '../../src/activities/llm-activities.ts';
import { createBuiltInToolRegistry } from '../../src/agents/tools/built-in-tools.ts';
import type { ModelCallRequest } from '../../src/domain/llm.ts';
import { createProjectSecrets } from '../../src/security/project-secrets.ts';
import type { callModelOnce } from '../fakes/harness-workflows.ts';
import { startOpenAiFake, type OpenAiFake } from '../fakes/openai-fake-server.ts';
import { harnessClient, startHarnessWorker, type HarnessWorker } from '../fakes/harness-worker.ts';

// callModel and callTool run in a real worker against the OpenAI-compatible fake over HTTP; the
// harness workflow retries them 3 times, 50 ms apart.

const address = inject('temporalAddress');
const namespace = inject('temporalNamespace');
let fake: OpenAiFake;
let worker: HarnessWorker;
let client: Client;
let closeClient: () => Promise<void>;
let deadBaseUrl: string;

beforeAll(async () => {
  fake = await startOpenAiFake([]);
  const closed = createServer();
  await new Promise<void>((resolve) => closed.listen(0, '127.0.0.1', resolve));
  deadBaseUrl = `http://127.0.0.1:${(closed.address() as AddressInfo).port}/v1`;
  await new Promise<void>((resolve) => closed.close(() => resolve()));
  // OPENAI_BASE_URL (the fake on loopback) is the operator's choice and needs no listing; an
  // agent's own baseUrl on loopback does: only the dead port is listed.
  const env = { OPENAI_BASE_URL: fake.baseUrl, OPENAI_API_KEY: 'sk-test', OTHER_KEY: 'sk-other', BATON_EGRESS_ALLOW: new URL(deadBaseUrl).host };
  const secrets = createProjectSecrets({ grants: new Map([['solvers', new Set(['OTHER_KEY'])]]), env });
  worker = await startHarnessWorker({ address, namespace, activities: createLlmActivities({ env, secrets, tools: createBuiltInToolRegistry({ env }) }) });
  ({ client, close: closeClient } = await harnessClient(address, namespace));
});
afterAll(async () => {
  await worker?.stop();
  await closeClient?.();
  await fake?.close();
});

const request = (over: Partial<ModelCallRequest> = {}): ModelCallRequest => ({
  agentId: 'solver', project: 'solvers', model: 'gpt-test', messages: [{ role: 'system', content: 'Be exact.' }, { role: 'user', content: 'What is 6*7?' }], tools: ['calculator'], ...over,
});
const callModel = (req: ModelCallRequest) =>
  client.workflow.execute<typeof callModelOnce>('callModelOnce', { taskQueue: worker.taskQueue, workflowId: `llm-act-${randomUUID()}`, args: [req] });

async function failureOf(promise: Promise<unknown>): Promise<ApplicationFailure> {
  const error = await promise.then(() => undefined, (e: unknown) => e);
  expect(error).toBeInstanceOf(WorkflowFailedError);
  const activityFailure = (error as WorkflowFailedError).cause;
  expect(activityFailure).toBeInstanceOf(ActivityFailure);
  expect(activityFailure?.cause).toBeInstanceOf(ApplicationFailure);
  return activityFailure!.cause as ApplicationFailure;
}

describe('callModel activity', () => {
  it('sends the conversation and the tools JSON schemas, and returns the tool calls', async () => {
    fake.enqueue({ toolCalls: [{ id: 'call_1', name: 'calculator', arguments: { expression: '6*7' } }] });
    const before = fake.calls;
    const reply = await callModel(request({ temperature: 0.2 }));
    expect(reply).toEqual({ content: null, toolCalls: [{ id: 'call_1', name: 'calculator', arguments: '{"expression":"6*7"}' }], finishReason: 'tool_calls' });
    const sent = fake.requests[before]!;
    expect(sent.authorization).toBe('Bearer sk-test');
    expect(sent.body).toMatchObject({
      model: 'gpt-test', temperature: 0.2,
      messages: [{ role: 'system', content: 'Be exact.' }, { role: 'user', content: 'What is 6*7?' }],
      tools: [{ type: 'function', function: { name: 'calculator', parameters: { type: 'object', required: ['expression'] } } }],
    });
  });

  it('sends earlier assistant tool calls and tool results in the OpenAI wire format, with the agent key', async () => {
    fake.enqueue({ content: 'It is 42.' });
    const before = fake.calls;
    const reply = await callModel(request({
      apiKeyEnv: 'OTHER_KEY', tools: [],
      messages: [
        { role: 'user', content: 'What is 6*7?' },
        { role: 'assistant', content: null, toolCalls: [{ id: 'call_9', name: 'calculator', arguments: '{"expression":"6*7"}' }] },
        { role: 'tool', toolCallId: 'call_9', content: '{"result":42}' },
      ],
    }));
    expect(reply).toEqual({ content: 'It is 42.', toolCalls: [], finishReason: 'stop' });
    const sent = fake.requests[before]!;
    expect(sent.authorization).toBe('Bearer sk-other');
    expect(sent.body.tools).toBeUndefined();
    expect(sent.body.messages.slice(1)).toEqual([
      { role: 'assistant', content: null, tool_calls: [{ id: 'call_9', type: 'function', function: { name: 'calculator', arguments: '{"expression":"6*7"}' } }] },
      { role: 'tool', tool_call_id: 'call_9', content: '{"result":42}' },
    ]);
  });

  it('refuses a key variable the run\'s project is not granted without calling the model', async () => {
    const before = fake.calls;
    const failure = await failureOf(callModel(request({ project: 'others', apiKeyEnv: 'OTHER_KEY' })));
    expect([failure.type, failure.nonRetryable]).toEqual(['secret_not_granted', true]);
    expect(failure.message).toBe('agent "solver": OTHER_KEY is not granted to project "others"; the operator grants it with BATON_PROJECT_SECRETS=others:OTHER_KEY');
    expect(failure.message).not.toContain('sk-other');
    expect(fake.calls).toBe(before);
  });

  it('retries 5xx answers and then fails with the status and the server message', async () => {
    fake.enqueue({ status: 503, message: 'overloaded' }, { status: 503, message: 'overloaded' }, { status: 503, message: 'still overloaded' });
    const before = fake.calls;
    const failure = await failureOf(callModel(request()));
    expect(fake.calls - before).toBe(3);
    expect([failure.type, failure.nonRetryable]).toEqual(['model_unavailable', false]);
    expect(failure.message).toBe(`model endpoint ${fake.baseUrl} (llm agent "solver", model "gpt-test") answered 503: still overloaded`);
  });

  it('fails at once on a 4xx answer such as an unknown model', async () => {
    fake.enqueue({ status: 404, message: 'The model `nope` does not exist' });
    const before = fake.calls;
    const failure = await failureOf(callModel(request({ model: 'nope' })));
    expect(fake.calls - before).toBe(1);
    expect([failure.type, failure.nonRetryable, failure.message]).toEqual(['model_rejected', true, expect.stringContaining('answered 404: The model `nope` does not exist')]);
  });

  it('retries an unreachable endpoint and then fails saying it is unreachable', async () => {
    const failure = await failureOf(callModel(request({ baseUrl: deadBaseUrl })));
    expect(failure.type).toBe('model_unavailable');
    expect(failure.message).toMatch(new RegExp(`^model endpoint ${deadBaseUrl} \\(llm agent "solver", model "gpt-test"\\) is unreachable: ECONNREFUSED`));
  });

  it('refuses an agent baseUrl on an unlisted loopback address without calling it, and does not retry', async () => {
    const before = fake.calls;
    const failure = await failureOf(callModel(request({ baseUrl: fake.baseUrl })));
    expect([failure.type, failure.nonRetryable]).toEqual(['egress_refused', true]);
    expect(failure.message).toBe(`model endpoint ${fake.baseUrl} (llm agent "solver", model "gpt-test") was refused: 127.0.0.1 is a loopback address; allow it with BATON_EGRESS_ALLOW`);
    expect(fake.calls).toBe(before);
  });

  it('fails fast, naming the variables, when no endpoint is configured', async () => {
    const env = {};
    const bare = await startHarnessWorker({ address, namespace, activities: createLlmActivities({ env, tools: createBuiltInToolRegistry({ env }) }) });
    try {
      const workflowId = `llm-act-${randomUUID()}`;
      const error = client.workflow.execute<typeof callModelOnce>('callModelOnce', { taskQueue: bare.taskQueue, workflowId, args: [request()] });
      const failure = await failureOf(error);
      expect([failure.type, failure.nonRetryable]).toEqual(['model_not_configured', true]);
      expect(failure.message).toBe('llm agent "solver" has no model endpoint: set OPENAI_BASE_URL (or the agent\'s config.baseUrl), and its API key in OPENAI_API_KEY unless the server needs none');
      // Fast because not retried: the one attempt the history shows, of the 3 the workflow allows.
      const history = await client.workflow.getHandle(workflowId).fetchHistory();
      expect(history.events?.flatMap((event) => event.activityTaskStartedEventAttributes?.attempt ?? [])).toEqual([1]);
    } finally {
      await bare.stop();
    }
  });

  it('fails non-retryably when the agent offers a tool the worker does not have', async () => {
    const failure = await failureOf(callModel(request({ tools: ['calculator', 'teleport'] })));
    expect([failure.type, failure.nonRetryable]).toEqual(['tool_not_registered', true]);
    expect(failure.message).toBe('llm agent "solver": tool "teleport" is not registered in this worker (registered: calculator, http_request, json_path)');
  });
});
