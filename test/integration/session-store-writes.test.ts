// Session entries go to PostgreSQL, which refuses some text for good. Whatever an agent or a
// caller without the HTTP guard hands the engine, a run records it, or ends with a code; it never
// stays `running` on a write that cannot succeed.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Store } from '../../src/store/open-store.ts';
import type { RunService } from '../../src/temporal/run-service.ts';
import { defineRun, startEngine, uniqueProject, type Engine } from './engine-harness.ts';

let engine: Engine;
let store: Store;
let runs: RunService;

beforeAll(async () => {
  // The composed runtime on PostgreSQL, which refuses U+0000 and unpaired surrogates in jsonb and text.
  engine = await startEngine('session-writes', {
    // An agent whose reply carries a NUL, as an http agent's JSON answer can.
    agents: { nul_reply: { kind: 'function', run: async () => ({ text: 'before\u0000after' }) } },
  });
  ({ store, runs } = engine);
});

afterAll(async () => engine?.close());

async function workflowTaskFailures(runId: string): Promise<number> {
  const history = await engine.client.workflow.getHandle(runId).fetchHistory();
  return (history.events ?? []).filter((event) => event.workflowTaskFailedEventAttributes).length;
}

describe('session entries PostgreSQL would refuse', () => {
  it('stores an agent output containing U+0000 with U+FFFD in its place; the run keeps the output as it was', async () => {
    const project = uniqueProject('nul-agent');
    const definition = defineRun(project, [{ name: 'reply', agentId: 'nul_reply' }]);
    const done = await runs.startAndWait({ project, definition, task: 't', state: {}, input: null, waitMs: 30_000 });
    expect(done.status).toBe('completed');
    expect(done.result).toEqual({ text: 'before\u0000after' });
    const session = await store.sessions.list(project, done.sessionId);
    expect(session.map((entry) => entry.output)).toEqual([{ text: 'before\ufffdafter' }]);
  });

  it('records a reviewed answer containing U+0000 (sent without the HTTP guard) and completes instead of retrying for ever', async () => {
    const project = uniqueProject('nul-review');
    const definition = defineRun(project, [{ name: 'reply', agentId: 'nul_reply', requireApproval: true }]);
    const paused = await runs.startAndWait({ project, definition, task: 't', state: {}, input: null, waitMs: 30_000 });
    expect(paused.status).toBe('paused');
    const done = await runs.resumeAndWait(project, paused.runId, { step: 'reply', input: 'ok\u0000\ud800' }, { waitMs: 30_000 });
    expect(done.status).toBe('completed');
    const session = await store.sessions.list(project, done.sessionId);
    expect(session.map((entry) => entry.output)).toEqual(['ok\ufffd\ufffd']);
    expect(await workflowTaskFailures(done.runId)).toBe(0);
  });

  it('ends the run with store_write_failed when the store can never take the entry (a NUL in the session id)', async () => {
    const project = uniqueProject('nul-session');
    const definition = defineRun(project, [{ type: 'input', name: 'ask', message: 'Anything?' }]);
    const paused = await runs.startAndWait({ project, definition, task: 't', state: {}, input: null, sessionId: 'ses_\u0000bad', waitMs: 30_000 });
    expect(paused.status).toBe('paused');
    const ended = await runs.resumeAndWait(project, paused.runId, { step: 'ask', input: 'yes' }, { waitMs: 30_000 });
    expect(ended.status).toBe('failed');
    expect(ended.error).toMatchObject({ code: 'store_write_failed', step: 'ask' });
    expect(ended.error?.message).toMatch(/could not be stored.*SQLSTATE 22021/);
    expect(await workflowTaskFailures(ended.runId)).toBe(0);
  });
});
