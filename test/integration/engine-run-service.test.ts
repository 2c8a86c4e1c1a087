import { Client, Connection, defaultGrpcRetryOptions, makeGrpcRetryInterceptor } from '@temporalio/client';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { BatonError } from '../../src/domain/errors.ts';
import { exampleAsDefinition, leadRouterExample } from '../../src/examples/index.ts';
import { RunService } from '../../src/temporal/run-service.ts';
import { defineRun, historyLength, runResult, startEngine, uniqueProject, type Engine } from './engine-harness.ts';

let engine: Engine;
beforeAll(async () => {
  engine = await startEngine('service');
});
afterAll(async () => engine?.close());

describe('RunService', () => {
  it('reproduces the the v1 specification lead-router response and completes on approve', async () => {
    const project = uniqueProject('seed');
    const definition = exampleAsDefinition(leadRouterExample, project);
    const paused = await engine.runs.startAndWait({ project, definition, task: 'Route this lead to the right team', state: { leadId: 'lead-123' }, input: null });
    expect(paused.runId).toMatch(/^wfr_[0-9A-Z]{26}$/);
    expect({
      status: paused.status,
      steps: paused.steps.map(({ name, status, output }) => ({ name, status, output })),
      result: paused.result,
      pendingAction: paused.pendingAction,
    }).toEqual({
      status: 'paused',
      steps: [{ name: 'classify', status: 'completed', output: { category: 'enterprise' } }],
      result: null,
      pendingAction: { step: 'approval', type: 'confirmation', message: 'Route to enterprise sales team?', options: ['approve', 'reject', 'escalate'], expiresAt: expect.any(String) as string },
    });
    const completed = await engine.runs.resumeAndWait(project, paused.runId, { step: 'approval', input: 'approve' });
    expect(completed.status).toBe('completed');
    expect(completed.result).toEqual({ routedTo: 'enterprise-sales', leadId: 'lead-123', category: 'enterprise' });
    expect(completed.steps.map((step) => step.name)).toEqual(['classify', 'approval', 'route']);
  });

  it('returns a still-running run after waitMs, and the same run for a repeated idempotency key', async () => {
    const project = uniqueProject('wait');
    let release!: () => void;
    const gate = new Promise<void>((resolve) => (release = resolve));
    engine.agents.register('gated', { kind: 'function', run: async () => gate.then(() => 'open') });
    const definition = defineRun(project, [{ name: 'gate', agentId: 'gated' }]);
    const request = { project, definition, task: 't', state: {}, input: null, idempotencyKey: 'order-42' };
    const first = await engine.runs.startAndWait({ ...request, waitMs: 200 });
    expect([first.status, first.steps.map((step) => step.status)]).toEqual(['running', ['running']]);
    const again = await engine.runs.start(request);
    expect([again.runId, again.sessionId]).toEqual([first.runId, first.sessionId]);
    // Another project's equal key is another run.
    const elsewhere = await engine.runs.start({ ...request, project: uniqueProject('wait') });
    expect(elsewhere.runId).not.toBe(first.runId);
    release();
    expect((await runResult(engine.client, first.runId)).result).toBe('open');
    // After the run closed, the retried start still answers with it instead of starting a second run.
    const afterClose = await engine.runs.startAndWait(request);
    expect([afterClose.runId, afterClose.status, afterClose.result]).toEqual([first.runId, 'completed', 'open']);
    const started = await engine.runs.start(request);
    expect([started.runId, started.snapshot?.status]).toEqual([first.runId, 'completed']);
  });

  it('hides every run from other projects as run_not_found, and unknown ids too', async () => {
    const project = uniqueProject('owner');
    const definition = defineRun(project, [{ type: 'approval', name: 'gate', message: 'Go?', options: ['go'] }]);
    const paused = await engine.runs.startAndWait({ project, definition, task: 't', state: {}, input: null });
    const before = await historyLength(engine.client, paused.runId);
    const intruder = 'intruder';
    for (const attempt of [
      () => engine.runs.get(intruder, paused.runId),
      () => engine.runs.resume(intruder, paused.runId, { step: 'gate', input: 'go' }),
      () => engine.runs.resumeAndWait(intruder, paused.runId, { step: 'gate', input: 'go' }),
      () => engine.runs.cancel(intruder, paused.runId),
      () => engine.runs.get(project, 'wfr_01NOSUCHRUN00000000000000'),
      () => engine.runs.resume(project, 'wfr_01NOSUCHRUN00000000000000', { step: 'gate', input: 'go' }),
      () => engine.runs.cancel(project, 'wfr_01NOSUCHRUN00000000000000'),
      () => engine.runs.get(project, 'not a run id'),
    ]) {
      await expect(attempt()).rejects.toMatchObject({ code: 'run_not_found', status: 404 });
    }
    expect(await historyLength(engine.client, paused.runId)).toBe(before);
    expect((await engine.runs.get(project, paused.runId)).status).toBe('paused');
    await engine.runs.cancel(project, paused.runId);
  });

  it('lists and counts runs by project, status, agent, definition and session, newest first, page by page', async () => {
    const project = uniqueProject('list');
    const approval = defineRun(project, [{ type: 'approval', name: 'gate', message: 'Go?', options: ['go'] }], { agent: 'lister' });
    const quick = defineRun(project, [{ name: 'copy', agentId: 'echo' }]);
    const pausedA = await engine.runs.startAndWait({ project, definition: approval, task: 't', state: {}, input: null, sessionId: 'ses-a' });
    const pausedB = await engine.runs.startAndWait({ project, definition: approval, task: 't', state: {}, input: null, sessionId: "ses-b'quote" });
    const done = await engine.runs.startAndWait({ project, definition: quick, task: 't', state: {}, input: 1, sessionId: 'ses-a' });
    expect(done.status).toBe('completed');
    // Another project's run must never show up.
    const other = uniqueProject('list');
    await engine.runs.startAndWait({ project: other, definition: defineRun(other, [{ name: 'copy', agentId: 'echo' }]), task: 't', state: {}, input: 1 });

    // Each start answered at a settle, which the workflow recorded first: counts are exact at once.
    {
      expect(await engine.runs.count(project, {})).toBe(3);
      expect(await engine.runs.count(project, { status: 'paused' })).toBe(2);
      expect(await engine.runs.count(project, { status: 'completed' })).toBe(1);
      expect(await engine.runs.count(project, { agent: 'lister' })).toBe(2);
      expect(await engine.runs.count(project, { definitionId: quick.id })).toBe(1);
      expect(await engine.runs.count(project, { sessionId: 'ses-a' })).toBe(2);
      expect(await engine.runs.count(project, { sessionId: "ses-b'quote" })).toBe(1);
      expect(await engine.runs.count(project, { status: 'paused', sessionId: 'ses-a' })).toBe(1);
    }

    const all = await engine.runs.list(project, {}, { pageSize: 10 });
    // Newest first by start, whatever their status.
    expect(all.runs.map((run) => run.runId)).toEqual([done.runId, pausedB.runId, pausedA.runId]);
    expect(all.nextCursor).toBeNull();
    expect(all.runs[0]).toEqual({
      runId: done.runId, project, definitionId: quick.id, agent: null, sessionId: 'ses-a', status: 'completed', currentStepOrder: 1,
      createdAt: done.createdAt, updatedAt: done.updatedAt,
    });
    expect(all.runs[2]).toMatchObject({ runId: pausedA.runId, agent: 'lister', status: 'paused', currentStepOrder: 1, sessionId: 'ses-a' });

    const first = await engine.runs.list(project, {}, { pageSize: 2 });
    expect(first.runs).toHaveLength(2);
    expect(first.nextCursor).toMatch(/^[A-Za-z0-9_-]+$/);
    const second = await engine.runs.list(project, {}, { pageSize: 2, cursor: first.nextCursor ?? undefined });
    expect([...first.runs, ...second.runs].map((run) => run.runId)).toEqual(all.runs.map((run) => run.runId));

    const paused = await engine.runs.list(project, { status: 'paused', agent: 'lister' }, { pageSize: 10 });
    expect(paused.runs.map((run) => run.runId).sort()).toEqual([pausedA.runId, pausedB.runId].sort());
    await engine.runs.cancel(project, pausedA.runId);
    await engine.runs.cancel(project, pausedB.runId);
    expect(await engine.runs.count(project, { status: 'cancelled' })).toBe(2);
  });

  it('answers engine_unavailable when Temporal cannot be reached', async () => {
    // Nothing listens on port 1: every call fails to connect, and the caller sees engine_unavailable.
    // One attempt per call: the client's default gRPC retries would take ~40 s to give up.
    const connection = Connection.lazy({
      address: '127.0.0.1:1',
      connectTimeout: '500ms',
      interceptors: [makeGrpcRetryInterceptor(defaultGrpcRetryOptions({ maxAttempts: 1 }))],
    });
    const runs = new RunService({ client: new Client({ connection }), readModel: engine.store.runs, taskQueue: 'nowhere', defaultPauseTimeout: '1h' });
    try {
      for (const call of [() => runs.get('p', 'wfr_01NOSUCHRUN00000000000000'), () => runs.resume('p', 'wfr_01NOSUCHRUN00000000000000', { step: 's', input: 1 })]) {
        const error = await call().then(() => undefined, (caught: unknown) => caught);
        expect(error).toBeInstanceOf(BatonError);
        expect([(error as BatonError).code, (error as BatonError).status]).toEqual(['engine_unavailable', 503]);
      }
    } finally {
      await connection.close();
    }
  });
});
