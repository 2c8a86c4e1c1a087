import { spawn, type ChildProcess } from 'node:child_process';
import { randomUUID } from 'node:crypto';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import type { Client, WorkflowHandle } from '@temporalio/client';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import { createLlmActivities } from '../../src/activities/llm-activities.ts';
import { createBuiltInToolRegistry } from '../../src/agents/tools/built-in-tools.ts';
import type { AgentContext } from '../../src/domain/agent.ts';
import type { LlmAgentLoopInput, ToolApprovalAction } from '../../src/workflows/llm-agent-loop.ts';
import { harnessBundle, harnessClient, startHarnessWorker, type HarnessWorker } from '../fakes/harness-worker.ts';
import { decideToolUpdate, pendingToolQuery, type llmLoopHarness } from '../fakes/harness-workflows.ts';
import { startOpenAiFake, type FakeReply, type OpenAiFake } from '../fakes/openai-fake-server.ts';

// runLlmAgentLoop as workflow code in a real worker, with the real callModel/callTool activities
// against the OpenAI-compatible fake; the harness workflow stands in for agentRun's pause/resume.

const address = inject('temporalAddress');
const namespace = inject('temporalNamespace');
let client: Client;
let closeClient: () => Promise<void>;
const cleanups: (() => Promise<void>)[] = [];

beforeAll(async () => {
  ({ client, close: closeClient } = await harnessClient(address, namespace));
});
afterAll(async () => {
  for (const cleanup of cleanups.reverse()) await cleanup();
  await closeClient?.();
});

const context: AgentContext = {
  runId: 'wfr_loop_it', project: 'default', step: 'lookup', task: 'Find the value', state: {},
  input: '{"a":{"b":42}}', action: 'Compute 6*7, then read a.b from the input.', steps: {}, sessionId: 's', session: [],
};
const loopInput = (baseUrl: string): LlmAgentLoopInput => ({
  agentId: 'analyst',
  config: { model: 'fake-model', baseUrl, tools: [{ name: 'calculator' }, { name: 'json_path', requiresApproval: true }] },
  context,
});
const script = (): FakeReply[] => [
  { toolCalls: [{ id: 'call_calc', name: 'calculator', arguments: { expression: '6*7' } }] },
  { toolCalls: [{ id: 'call_path', name: 'json_path', arguments: { json: '{"a":{"b":42}}', path: 'a.b' } }] },
  { content: '```json\n{"answer": 42}\n```' },
];

async function fakeWith(replies: FakeReply[]): Promise<OpenAiFake> {
  const fake = await startOpenAiFake(replies);
  cleanups.push(() => fake.close());
  return fake;
}
async function inProcessWorker(taskQueue?: string): Promise<HarnessWorker> {
  // The agent's baseUrl is the fake on loopback, which the egress policy refuses unless listed.
  const env = { BATON_EGRESS_ALLOW: '127.0.0.1' };
  const worker = await startHarnessWorker({ address, namespace, activities: createLlmActivities({ env, tools: createBuiltInToolRegistry({ env }) }), ...(taskQueue ? { taskQueue } : {}) });
  cleanups.push(() => worker.stop());
  return worker;
}
async function startLoop(taskQueue: string, baseUrl: string): Promise<WorkflowHandle<typeof llmLoopHarness>> {
  return client.workflow.start<typeof llmLoopHarness>('llmLoopHarness', { taskQueue, workflowId: `llm-loop-${randomUUID()}`, args: [loopInput(baseUrl)] });
}
async function pendingApproval(handle: WorkflowHandle): Promise<ToolApprovalAction> {
  const deadline = Date.now() + 30_000;
  for (;;) {
    const pending = await handle.query(pendingToolQuery);
    if (pending) return pending;
    if (Date.now() > deadline) throw new Error('the loop never asked for a tool approval');
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
}

describe('llm agent loop in a real worker', () => {
  it('pauses before a requiresApproval tool, runs it once approved and lets the model finish', async () => {
    const fake = await fakeWith(script());
    const worker = await inProcessWorker();
    const handle = await startLoop(worker.taskQueue, fake.baseUrl);

    expect(await pendingApproval(handle)).toEqual({
      step: 'lookup', type: 'tool_approval', options: ['approve', 'reject'],
      message: 'Agent "analyst" wants to call the tool "json_path". Approve or reject the call.',
      tool: { name: 'json_path', arguments: { json: '{"a":{"b":42}}', path: 'a.b' } },
    });
    expect(fake.calls).toBe(2);
    // The calculator needs no approval: its result was already sent with the second model call.
    expect(fake.requests[1]!.body.messages.at(-1)).toEqual({ role: 'tool', tool_call_id: 'call_calc', content: '{"expression":"6*7","result":42}' });

    await handle.executeUpdate(decideToolUpdate, { args: ['approve'] });
    expect(await handle.result()).toEqual({
      output: { answer: 42 },
      modelCalls: 3,
      toolCalls: [
        { name: 'calculator', arguments: { expression: '6*7' }, approval: 'auto', isError: false },
        { name: 'json_path', arguments: { json: '{"a":{"b":42}}', path: 'a.b' }, approval: 'approved', isError: false },
      ],
    });
    expect(fake.requests[2]!.body.messages.at(-1)).toEqual({ role: 'tool', tool_call_id: 'call_path', content: '{"found":true,"value":42}' });
  });

  it('tells the model the user rejected the call and does not run the tool', async () => {
    const fake = await fakeWith([...script().slice(0, 2), { content: 'I was not allowed to read it.' }]);
    const worker = await inProcessWorker();
    const handle = await startLoop(worker.taskQueue, fake.baseUrl);
    await pendingApproval(handle);
    await handle.executeUpdate(decideToolUpdate, { args: ['reject'] });
    const result = await handle.result();
    expect(result.output).toBe('I was not allowed to read it.');
    expect(result.toolCalls.map((call) => [call.name, call.approval])).toEqual([['calculator', 'auto'], ['json_path', 'rejected']]);
    expect(fake.requests[2]!.body.messages.at(-1)).toMatchObject({ role: 'tool', tool_call_id: 'call_path', content: expect.stringMatching(/^The user rejected the call to json_path\./) as unknown });
  });

  it('runs the tool with arguments the operator edited on approval', async () => {
    const fake = await fakeWith(script());
    const worker = await inProcessWorker();
    const handle = await startLoop(worker.taskQueue, fake.baseUrl);
    await pendingApproval(handle);
    await handle.executeUpdate(decideToolUpdate, { args: [{ decision: 'approve', arguments: { json: '{"a":{"b":7}}', path: 'a.b' } }] });
    await handle.result();
    expect(fake.requests[2]!.body.messages.at(-1)?.content).toBe('Note: the user changed the arguments before approving; the tool ran with {"json":"{\\"a\\":{\\"b\\":7}}","path":"a.b"}.\n{"found":true,"value":7}');
  });

  it('survives a killed worker: a new worker finishes the run without repeating completed model calls', async () => {
    const fake = await fakeWith(script());
    const dir = await mkdtemp(path.join(os.tmpdir(), 'baton-llm-kill-'));
    cleanups.push(() => rm(dir, { recursive: true, force: true }));
    const bundlePath = path.join(dir, 'workflows.js');
    await writeFile(bundlePath, (await harnessBundle()).code);
    const taskQueue = `harness-kill-${randomUUID()}`;
    const child = await spawnWorker({ TEMPORAL_ADDRESS: address, TEMPORAL_NAMESPACE: namespace, HARNESS_TASK_QUEUE: taskQueue, HARNESS_BUNDLE_PATH: bundlePath, BATON_EGRESS_ALLOW: '127.0.0.1' });
    cleanups.push(async () => void child.kill('SIGKILL'));

    const handle = await startLoop(taskQueue, fake.baseUrl);
    await pendingApproval(handle);
    expect(fake.calls).toBe(2);
    const exited = new Promise((resolve) => child.once('exit', resolve));
    child.kill('SIGKILL');
    await exited;

    await inProcessWorker(taskQueue);
    await handle.executeUpdate(decideToolUpdate, { args: ['approve'] });
    expect(await handle.result()).toMatchObject({ output: { answer: 42 }, modelCalls: 3 });
    // Two calls before the crash, one after: the replayed loop took the first two from history.
    expect(fake.calls).toBe(3);
    expect(fake.requests.map((request) => request.body.messages.at(-1)?.role)).toEqual(['user', 'tool', 'tool']);
  });
});

async function spawnWorker(env: Record<string, string>): Promise<ChildProcess> {
  const script = fileURLToPath(new URL('../fakes/llm-worker-process.ts', import.meta.url));
  const child = spawn(process.execPath, [script], { env: { ...process.env, ...env }, stdio: ['ignore', 'pipe', 'pipe'] });
  let stderr = '';
  child.stderr?.on('data', (chunk: Buffer) => (stderr += chunk.toString()));
  await new Promise<void>((resolve, reject) => {
    child.stdout?.on('data', (chunk: Buffer) => {
      if (chunk.toString().includes('ready')) resolve();
    });
    child.once('exit', (code) => reject(new Error(`worker process exited (${code}) before it was ready: ${stderr}`)));
  });
  return child;
}
