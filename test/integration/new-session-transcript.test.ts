// A run that opened its own session (the caller named none) knows the session is empty until it
// writes to it: its first agent step skips the transcript read. Every other step, and every run of a
// named session, reads the transcript as before. The probe agents run as regular activities, so
// each step's argument is in the run's history.
import type { Client } from '@temporalio/client';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { AgentContext } from '../../src/domain/agent.ts';
import { defineRun, startEngine, uniqueProject, type Engine } from './engine-harness.ts';

let engine: Engine;

beforeAll(async () => {
  engine = await startEngine('new-session-transcript', {
    agents: {
      // Answers with the steps of the transcript it was shown.
      recall: { kind: 'function', run: async (context: AgentContext) => context.session.map(({ runId, step }) => `${runId}/${step}`) },
    },
  });
});

afterAll(async () => engine?.close());

/** Each runAgentStep activity's argument, in the order the run scheduled them. */
async function agentStepArguments(client: Client, runId: string): Promise<Array<{ step: string; emptyTranscript?: boolean }>> {
  const history = await client.workflow.getHandle(runId).fetchHistory();
  return (history.events ?? []).flatMap((event) => {
    const scheduled = event.activityTaskScheduledEventAttributes;
    const data = scheduled?.input?.payloads?.[0]?.data;
    return scheduled?.activityType?.name === 'runAgentStep' && data ? [JSON.parse(Buffer.from(data).toString()) as { step: string; emptyTranscript?: boolean }] : [];
  });
}

describe('the transcript of a session the run opened', () => {
  it('is not read by the first agent step, and is read by the next one', async () => {
    const project = uniqueProject('new-session');
    const definition = defineRun(project, [{ name: 'first', agentId: 'recall' }, { name: 'second', agentId: 'recall' }]);
    const done = await engine.runs.startAndWait({ project, definition, task: 't', state: {}, input: null, waitMs: 30_000 });
    expect(done.status).toBe('completed');
    expect(done.steps.map((step) => step.output)).toEqual([[], [`${done.runId}/first`]]);
    expect((await agentStepArguments(engine.client, done.runId)).map(({ step, emptyTranscript }) => [step, emptyTranscript ?? false])).toEqual([['first', true], ['second', false]]);
  });

  it('is read by the first agent step after a human answer, which the run wrote to it', async () => {
    const project = uniqueProject('new-session-answer');
    const definition = defineRun(project, [{ type: 'input', name: 'ask', message: 'Anything?' }, { name: 'after', agentId: 'recall' }]);
    const paused = await engine.runs.startAndWait({ project, definition, task: 't', state: {}, input: null, waitMs: 30_000 });
    expect(paused.status).toBe('paused');
    const done = await engine.runs.resumeAndWait(project, paused.runId, { step: 'ask', input: 'yes' }, { waitMs: 30_000 });
    expect(done.status).toBe('completed');
    expect(done.result).toEqual([`${done.runId}/ask`]);
    expect((await agentStepArguments(engine.client, done.runId)).map(({ step, emptyTranscript }) => [step, emptyTranscript ?? false])).toEqual([['after', false]]);
  });

  it('is read by the first agent step of a run in a session its caller named', async () => {
    const project = uniqueProject('named-session');
    const definition = defineRun(project, [{ name: 'first', agentId: 'recall' }]);
    const earlier = await engine.runs.startAndWait({ project, definition, task: 't', state: {}, input: null, waitMs: 30_000 });
    const later = await engine.runs.startAndWait({ project, definition, task: 't', state: {}, input: null, sessionId: earlier.sessionId, waitMs: 30_000 });
    expect(later.result).toEqual([`${earlier.runId}/first`]);
    expect((await agentStepArguments(engine.client, later.runId)).map(({ step, emptyTranscript }) => [step, emptyTranscript ?? false])).toEqual([['first', false]]);
  });
});
