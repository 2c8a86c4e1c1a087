import { ApplicationFailure } from '@temporalio/common';
import { describe, expect, it } from 'vitest';
import { createAgentActivities } from '../../src/activities/agent-activities.ts';
import { createRunRecordActivities } from '../../src/activities/run-record-activity.ts';
import { createInMemorySessionMemory, type SessionMemory } from '../../src/activities/session-memory.ts';
import type { AgentRegistry } from '../../src/agents/agent-registry.ts';
import { sessionAppendFailedType } from '../../src/domain/session-append.ts';
import type { RunSnapshot } from '../../src/domain/run.ts';

const failed = {
  runId: 'wfr_1', project: 'acme', definitionId: 'def_1', definitionName: 'd', agent: null, sessionId: 'ses_1', status: 'failed',
  steps: [], currentStepOrder: 1, result: null, pendingAction: null, error: { code: 'step_failed', message: 'the agent answered 500', step: 'fetch' },
  version: 3, createdAt: '2026-01-01T00:00:00.000Z', updatedAt: '2026-01-01T00:00:01.000Z',
} satisfies RunSnapshot;

describe('recordRun', () => {
  it('tells of a failed run once: when its write lands, not when a repeated write is a no-op', async () => {
    const landed = [true, false];
    const told: RunSnapshot[] = [];
    const activities = createRunRecordActivities({ record: async () => landed.shift()! }, (snapshot) => told.push(snapshot));
    await activities.recordRun(failed);
    await activities.recordRun(failed);
    expect(told).toEqual([failed]);
  });

  it('tells nothing of runs that did not fail', async () => {
    const told: RunSnapshot[] = [];
    const activities = createRunRecordActivities({ record: async () => true }, (snapshot) => told.push(snapshot));
    await activities.recordRun({ ...failed, status: 'completed', error: null });
    await activities.recordRun({ ...failed, status: 'paused', error: null });
    expect(told).toEqual([]);
  });
});

describe('recordRun with carried session entries', () => {
  const entry = (step: string) => ({ runId: 'wfr_1', step, agentId: null, input: null, output: 'yes', at: '2026-01-01T00:00:00.000Z' });
  const session = { project: 'acme', sessionId: 'ses_1', entries: [entry('ask'), entry('again')] };

  it('stores the entries, in order, before it writes the run', async () => {
    const sessions = createInMemorySessionMemory();
    const order: string[] = [];
    const activities = createRunRecordActivities({ record: async () => { order.push(`run ${(await sessions.list('acme', 'ses_1')).length}`); return true; } }, undefined, sessions);
    await activities.recordRun({ ...failed, status: 'paused', error: null }, null, session);
    order.push(...(await sessions.list('acme', 'ses_1')).map((stored) => stored.step));
    expect(order).toEqual(['run 2', 'ask', 'again']);
  });

  it('fails without retries as store_write_failed when the store refuses an entry, and writes no run', async () => {
    const writes: RunSnapshot[] = [];
    const refusing: SessionMemory = {
      append: async () => { throw Object.assign(new Error('the session store refused the entry (SQLSTATE 22021)'), { name: 'SessionWriteRefused' }); },
      list: async () => [],
      appendAndList: async () => [],
    };
    const activities = createRunRecordActivities({ record: async (snapshot) => { writes.push(snapshot); return true; } }, undefined, refusing);
    const failure = await activities.recordRun(failed, null, session).catch((error: unknown) => error);
    expect(failure).toBeInstanceOf(ApplicationFailure);
    expect(failure).toMatchObject({ type: 'store_write_failed', nonRetryable: true });
    expect(writes).toEqual([]);
  });

  it('lets any other store failure retry', async () => {
    const down: SessionMemory = { append: async () => { throw new Error('connection refused'); }, list: async () => [], appendAndList: async () => { throw new Error('connection refused'); } };
    const activities = createRunRecordActivities({ record: async () => true }, undefined, down);
    const failure = await activities.recordRun(failed, null, session).catch((error: unknown) => error);
    expect(failure).not.toBeInstanceOf(ApplicationFailure);
    expect((failure as Error).message).toBe('connection refused');
  });
});

describe('runAgentStep with carried session entries', () => {
  it('fails as session_append_failed without retries, before it resolves the agent, when an entry cannot be stored', async () => {
    const resolved: string[] = [];
    const down: SessionMemory = { append: async () => { throw new Error('connection refused'); }, list: async () => [], appendAndList: async () => { throw new Error('connection refused'); } };
    const agents = { resolve: async (_project: string, id: string) => { resolved.push(id); return undefined; } } as unknown as AgentRegistry;
    const activities = createAgentActivities({ agents, sessions: down });
    const carriedSession = { project: 'acme', sessionId: 'ses_1', entries: [{ runId: 'wfr_1', step: 'ask', agentId: null, input: null, output: 'yes', at: '2026-01-01T00:00:00.000Z' }] };
    const failure = await activities.runAgentStep({ runId: 'wfr_1', project: 'acme', step: 'after', task: 't', state: {}, input: 'yes', action: '', steps: {}, sessionId: 'ses_1', agentId: 'echo', recordSession: true, carriedSession }).catch((error: unknown) => error);
    expect(failure).toMatchObject({ type: sessionAppendFailedType, nonRetryable: true, message: 'the session entry of step "ask" could not be stored: connection refused' });
    expect(resolved).toEqual([]);
  });
});

describe('runAgentStep on a session the run opened', () => {
  const entry = { runId: 'wfr_0', step: 'earlier', agentId: null, input: null, output: 'x', at: '2026-01-01T00:00:00.000Z' };
  const request = { runId: 'wfr_1', project: 'acme', step: 'first', task: 't', state: {}, input: null, action: '', steps: {}, sessionId: 'ses_1', agentId: 'writer', recordSession: false };
  // An llm agent: the activity answers with the transcript the workflow's model loop starts from.
  const config = { model: 'm', instructions: 'i' };
  const agents = { resolve: async () => ({ id: 'writer', kind: 'llm', config }) } as unknown as AgentRegistry;

  it('hands the agent an empty transcript without reading the store when told the session is empty', async () => {
    const sessions = createInMemorySessionMemory();
    // An entry the store holds: a step that reads the transcript sees it.
    await sessions.append('acme', 'ses_1', entry);
    const activities = createAgentActivities({ agents, sessions });
    expect(await activities.runAgentStep({ ...request, emptyTranscript: true })).toEqual({ kind: 'llm', config, session: [] });
    expect(await activities.runAgentStep(request)).toEqual({ kind: 'llm', config, session: [entry] });
  });
});
