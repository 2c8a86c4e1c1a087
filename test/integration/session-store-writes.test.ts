// Session entries go to PostgreSQL, which refuses some text for good. Whatever an agent or a
// caller without the HTTP guard hands the engine, a run records it, or ends with a code; it never
// stays `running` on a write that cannot succeed.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { AgentContext } from '../../src/domain/agent.ts';
import type { Store } from '../../src/store/open-store.ts';
import type { RunService } from '../../src/temporal/run-service.ts';
import { defineRun, runActivityTypes, startEngine, uniqueProject, workflowTaskFailures as taskFailures, type Engine } from './engine-harness.ts';
import { failFirstInserts } from './store-backends.ts';

let engine: Engine;
let store: Store;
let runs: RunService;

beforeAll(async () => {
  // The composed runtime on PostgreSQL, which refuses U+0000 and unpaired surrogates in jsonb and text.
  engine = await startEngine('session-writes', {
    // An agent whose reply carries a NUL, as an http agent's JSON answer can.
    agents: {
      nul_reply: { kind: 'function', run: async () => ({ text: 'before\u0000after' }) },
      // Answers with the transcript it was shown, so a test sees what the step saw.
      recall: { kind: 'function', run: async (context: AgentContext) => context.session.map(({ step, output }) => ({ step, output })) },
    },
  });
  ({ store, runs } = engine);
});

afterAll(async () => engine?.close());

const activities = (runId: string) => runActivityTypes(engine.client, runId);
const workflowTaskFailures = (runId: string) => taskFailures(engine.client, runId);

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

  it('fails the run with store_write_failed, naming the answered step, when the agent step after the answer cannot store its entry', async () => {
    const project = uniqueProject('nul-carried-agent');
    const definition = defineRun(project, [{ type: 'input', name: 'ask', message: 'Anything?' }, { name: 'after', agentId: 'recall' }]);
    const paused = await runs.startAndWait({ project, definition, task: 't', state: {}, input: null, sessionId: 'ses_\u0000bad', waitMs: 30_000 });
    const ended = await runs.resumeAndWait(project, paused.runId, { step: 'ask', input: 'yes' }, { waitMs: 30_000 });
    expect(ended.status).toBe('failed');
    expect(ended.error).toMatchObject({ code: 'store_write_failed', step: 'ask' });
    expect(ended.error?.message).toMatch(/could not be stored.*SQLSTATE 22021/);
    expect(await workflowTaskFailures(ended.runId)).toBe(0);
  });

  it('fails the run with store_write_failed instead of pausing when the next pause cannot store the answer before it', async () => {
    const project = uniqueProject('nul-carried-pause');
    const definition = defineRun(project, [{ type: 'input', name: 'ask', message: 'Anything?' }, { type: 'input', name: 'again', message: 'More?' }]);
    const paused = await runs.startAndWait({ project, definition, task: 't', state: {}, input: null, sessionId: 'ses_\u0000bad', waitMs: 30_000 });
    const ended = await runs.resumeAndWait(project, paused.runId, { step: 'ask', input: 'yes' }, { waitMs: 30_000 });
    expect(ended.status).toBe('failed');
    expect(ended.pendingAction).toBeNull();
    expect(ended.error).toMatchObject({ code: 'store_write_failed', step: 'ask' });
    expect(await workflowTaskFailures(ended.runId)).toBe(0);
  });
});

describe('a session entry carried by the next agent step', () => {
  it('is in the transcript the step after the answer sees, stored once, with no activity of its own', async () => {
    const project = uniqueProject('carried');
    const definition = defineRun(project, [{ type: 'input', name: 'ask', message: 'Anything?' }, { name: 'after', agentId: 'recall' }]);
    const paused = await runs.startAndWait({ project, definition, task: 't', state: {}, input: null, waitMs: 30_000 });
    const done = await runs.resumeAndWait(project, paused.runId, { step: 'ask', input: 'the answer' }, { waitMs: 30_000 });
    expect(done.result).toEqual([{ step: 'ask', output: 'the answer' }]);
    expect((await store.sessions.list(project, done.sessionId)).map((entry) => entry.step)).toEqual(['ask', 'after']);
    // The read model's writes at the pause and at the end go through the worker's sink: no activity.
    expect(await activities(done.runId)).toEqual(['runAgentStep']);
  });

  it('is stored on its own, with the append\'s retries, when the store fails it for a while; the step then runs and sees it', async () => {
    // A real store failure: PostgreSQL raises on the first two inserts of this session, then lets them in.
    const sessionId = `ses_flaky_${Date.now()}`;
    const flaky = await failFirstInserts(engine.stack.config.databaseSchema!, 'session_entries', 'session_id', sessionId, 2);
    try {
      const project = uniqueProject('carried-flaky');
      const definition = defineRun(project, [{ type: 'input', name: 'ask', message: 'Anything?' }, { name: 'after', agentId: 'recall' }]);
      const paused = await runs.startAndWait({ project, definition, task: 't', state: {}, input: null, sessionId, waitMs: 30_000 });
      const done = await runs.resumeAndWait(project, paused.runId, { step: 'ask', input: 'the answer' }, { waitMs: 60_000 });
      expect(done.status).toBe('completed');
      expect(done.result).toEqual([{ step: 'ask', output: 'the answer' }]);
      expect((await store.sessions.list(project, sessionId)).map((entry) => entry.step)).toEqual(['ask', 'after']);
      // The carrying step failed at its first write; the separate append failed once, then stored it.
      expect(await activities(done.runId)).toEqual(['runAgentStep', 'appendSessionEntry', 'runAgentStep']);
      expect(await flaky.attempts()).toBe(4);
      expect(await workflowTaskFailures(done.runId)).toBe(0);
    } finally {
      await flaky.remove();
    }
  });
});
