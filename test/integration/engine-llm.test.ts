import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createBuiltInToolRegistry } from '../../src/agents/tools/built-in-tools.ts';
import { startOpenAiFake, type OpenAiFake } from '../fakes/openai-fake-server.ts';
import { defineRun, historyLength, startEngine, uniqueProject, type Engine } from './engine-harness.ts';

let engine: Engine;
let fake: OpenAiFake;
beforeAll(async () => {
  fake = await startOpenAiFake();
  engine = await startEngine('llm', {
    // As the store would: an llm agent of the project, resolved by id.
    lookup: async (_project, agentId) =>
      agentId === 'math-llm'
        ? { id: agentId, kind: 'llm', description: null, config: { model: 'fake-model', baseUrl: fake.baseUrl, tools: [{ name: 'calculator', requiresApproval: true }] } }
        : undefined,
    llm: { env: { BATON_EGRESS_ALLOW: '127.0.0.1' }, tools: createBuiltInToolRegistry({ env: {} }) },
  });
});
afterAll(async () => {
  await engine?.close();
  await fake?.close();
});

describe('agentRun with an llm agent', () => {
  it('pauses for a tool approval inside the step, runs the approved tool, and completes with the model answer', async () => {
    const project = uniqueProject('llm');
    fake.enqueue({ toolCalls: [{ name: 'calculator', arguments: { expression: '2 + 2' } }] }, { content: '{"answer": 4}' });
    const definition = defineRun(project, [{ name: 'solve', agentId: 'math-llm', action: 'Add the numbers' }, { name: 'done', agentId: 'echo' }]);
    const paused = await engine.runs.startAndWait({ project, definition, task: 'math', state: {}, input: '2 and 2' });
    expect(paused.status).toBe('paused');
    expect(paused.pendingAction).toMatchObject({ step: 'solve', type: 'tool_approval', options: ['approve', 'reject'], tool: { name: 'calculator', arguments: { expression: '2 + 2' } } });
    expect(paused.steps).toMatchObject([{ name: 'solve', status: 'running' }]);

    const before = await historyLength(engine.client, paused.runId);
    await expect(engine.runs.resume(project, paused.runId, { step: 'solve', input: 'maybe' })).rejects.toMatchObject({ code: 'invalid_resume_input' });
    expect(await historyLength(engine.client, paused.runId)).toBe(before);

    const done = await engine.runs.resumeAndWait(project, paused.runId, { step: 'solve', input: 'approve' });
    expect(done.status).toBe('completed');
    expect(done.result).toEqual({ answer: 4 });
    expect(done.steps.map((step) => [step.name, step.status, step.output])).toEqual([['solve', 'completed', { answer: 4 }], ['done', 'completed', { answer: 4 }]]);
    // The model saw the tool's result on its second call.
    const toolMessage = fake.requests[1]?.body.messages.find((message) => message.role === 'tool');
    expect(toolMessage?.content).toContain('4');
  });
});
