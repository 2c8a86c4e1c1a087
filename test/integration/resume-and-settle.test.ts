// Resume-and-wait as one Update (resumeAndSettle): what it answers, what the run's history holds,
// and the two-Update path RunService falls back to for a worker that lacks the Update.
import { mkdtemp, rm } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import type { Client } from '@temporalio/client';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import { createRuntime, type Runtime } from '../../src/cli/runtime.ts';
import { loadConfig } from '../../src/config.ts';
import { BatonError } from '../../src/domain/errors.ts';
import { defineRun, eventually, runResult, startEngine, uniqueProject, type Engine } from './engine-harness.ts';

let engine: Engine;

beforeAll(async () => {
  engine = await startEngine('resume-settle');
}, 120_000);

afterAll(async () => {
  await engine?.close();
});

/** The names of the Updates the run accepted, in order. */
async function acceptedUpdates(client: Client, runId: string): Promise<string[]> {
  const history = await client.workflow.getHandle(runId).fetchHistory();
  return (history.events ?? []).flatMap((event) => event.workflowExecutionUpdateAcceptedEventAttributes?.acceptedRequest?.input?.name ?? []);
}

async function rejection(promise: Promise<unknown>): Promise<BatonError> {
  const error = await promise.then(() => null, (caught: unknown) => caught);
  expect(error).toBeInstanceOf(BatonError);
  return error as BatonError;
}

describe('resume-and-wait in one Update', () => {
  it('answers with the run paused at the next human step, then completed, one resumeAndSettle Update per answer', async () => {
    const project = uniqueProject('settle');
    const definition = defineRun(project, [
      { type: 'approval', name: 'first', message: 'First?', options: ['go'] },
      { name: 'copy', agentId: 'echo' },
      { type: 'approval', name: 'second', message: 'Second?', options: ['go', 'stop'] },
    ]);
    const paused = await engine.runs.startAndWait({ project, definition, task: 't', state: {}, input: 'x' });
    const next = await engine.runs.resumeAndWait(project, paused.runId, { step: 'first', input: 'go' });
    expect([next.status, next.pendingAction?.step, next.steps.map((step) => [step.name, step.status])]).toEqual(['paused', 'second', [['first', 'completed'], ['copy', 'completed']]]);
    const done = await engine.runs.resumeAndWait(project, paused.runId, { step: 'second', input: 'stop' }, { by: { via: 'api', label: 'tester' } });
    expect([done.status, done.result, done.answers?.map((answer) => [answer.step, answer.by.label])]).toEqual(['completed', 'stop', [['first', null], ['second', 'tester']]]);
    expect(await acceptedUpdates(engine.client, paused.runId)).toEqual(['settled', 'resumeAndSettle', 'resumeAndSettle']);
    // The settle it answered with is already in the read model.
    expect((await engine.store.runs.get(project, paused.runId))?.status).toBe('completed');
  });

  it('refuses a wrong step or a closed run as before, without a trace in history', async () => {
    const project = uniqueProject('settle-refuse');
    const definition = defineRun(project, [{ type: 'approval', name: 'gate', message: 'Go?', options: ['go'] }]);
    const paused = await engine.runs.startAndWait({ project, definition, task: 't', state: {}, input: null });
    expect((await rejection(engine.runs.resumeAndWait(project, paused.runId, { step: 'other', input: 'go' }))).code).toBe('step_mismatch');
    expect((await rejection(engine.runs.resumeAndWait(project, paused.runId, { step: 'gate', input: 'maybe' }))).code).toBe('invalid_resume_input');
    expect((await engine.runs.resumeAndWait(project, paused.runId, { step: 'gate', input: 'go' })).status).toBe('completed');
    expect((await rejection(engine.runs.resumeAndWait(project, paused.runId, { step: 'gate', input: 'go' }))).code).toBe('run_finished');
    expect(await acceptedUpdates(engine.client, paused.runId)).toEqual(['settled', 'resumeAndSettle']);
  });

  it('answers a repeated idempotency key with the first outcome, even after the run finished', async () => {
    const project = uniqueProject('settle-key');
    const definition = defineRun(project, [{ type: 'approval', name: 'gate', message: 'Go?', options: ['go'] }, { name: 'copy', agentId: 'echo' }]);
    const paused = await engine.runs.startAndWait({ project, definition, task: 't', state: {}, input: null });
    const first = await engine.runs.resumeAndWait(project, paused.runId, { step: 'gate', input: 'go' }, { idempotencyKey: 'answer-1' });
    const again = await engine.runs.resumeAndWait(project, paused.runId, { step: 'gate', input: 'go', comment: 'reworded' }, { idempotencyKey: 'answer-1' });
    expect([first.status, again]).toEqual(['completed', first]);
    expect(await acceptedUpdates(engine.client, paused.runId)).toEqual(['settled', 'resumeAndSettle']);
  });

  it('returns the run still running after waitMs, and records it answered once the next settle takes over 2 s', async () => {
    const project = uniqueProject('settle-slow');
    let release!: () => void;
    const gate = new Promise<void>((resolve) => (release = resolve));
    engine.agents.register('settle-slow-agent', { kind: 'function', run: async () => gate.then(() => 'late') });
    const definition = defineRun(project, [{ type: 'approval', name: 'gate', message: 'Go?', options: ['go'] }, { name: 'slow', agentId: 'settle-slow-agent' }]);
    const paused = await engine.runs.startAndWait({ project, definition, task: 't', state: {}, input: null });
    const waiting = engine.runs.resumeAndWait(project, paused.runId, { step: 'gate', input: 'go' }, { waitMs: 4_000 });
    // Listed as answered (running, the question gone) while the request still waits.
    await eventually(async () => expect((await engine.store.runs.get(project, paused.runId))?.status).toBe('running'), 4_000);
    const answered = await waiting;
    expect([answered.status, answered.pendingAction, answered.steps.map((step) => [step.name, step.status])]).toEqual(['running', null, [['gate', 'completed'], ['slow', 'running']]]);
    release();
    expect((await runResult(engine.client, paused.runId)).result).toBe('late');
  });
});

describe('resume-and-wait on a worker without resumeAndSettle', () => {
  let old: Runtime;
  let home: string;

  beforeAll(async () => {
    home = await mkdtemp(path.join(os.tmpdir(), 'baton-old-worker-'));
    const config = loadConfig({ TEMPORAL_ADDRESS: inject('temporalAddress'), TEMPORAL_NAMESPACE: inject('temporalNamespace'), BATON_HOME: home, PORT: '0', BATON_TASK_QUEUE: `old-worker-${Date.now()}` });
    old = await createRuntime(config, { role: 'all', workflowsPath: fileURLToPath(new URL('../fixtures/workflows/agent-run-without-resume-and-settle.ts', import.meta.url)) });
  }, 120_000);

  afterAll(async () => {
    await old?.close();
    await rm(home, { recursive: true, force: true });
  });

  it('resumes with the resume and settled Updates, and a repeated idempotency key still answers the first outcome', async () => {
    const project = 'default';
    const definition = defineRun(project, [
      { type: 'approval', name: 'first', message: 'First?', options: ['go'] },
      { type: 'approval', name: 'second', message: 'Second?', options: ['go'] },
    ]);
    const paused = await old.runs!.startAndWait({ project, definition, task: 't', state: {}, input: null });
    const next = await old.runs!.resumeAndWait(project, paused.runId, { step: 'first', input: 'go' }, { idempotencyKey: 'old-1' });
    expect([next.status, next.pendingAction?.step]).toEqual(['paused', 'second']);
    expect(await old.runs!.resumeAndWait(project, paused.runId, { step: 'first', input: 'go' }, { idempotencyKey: 'old-1' })).toEqual(next);
    const done = await old.runs!.resumeAndWait(project, paused.runId, { step: 'second', input: 'go' });
    expect(done.status).toBe('completed');
    const updates = await acceptedUpdates(old.client, paused.runId);
    // The last settled may come after the run closed (then RunService reads the run instead).
    expect(updates.slice(0, 4)).toEqual(['settled', 'resume', 'settled', 'resume']);
    expect(updates).not.toContain('resumeAndSettle');
  });
});
