import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { BatonError } from '../../src/domain/errors.ts';
import { defineRun, historyLength, runResult, startEngine, uniqueProject, type Engine } from './engine-harness.ts';

let engine: Engine;
beforeAll(async () => {
  engine = await startEngine('steps');
  engine.agents.register('upper', { kind: 'function', run: async (ctx) => String(ctx.input).toUpperCase() });
  engine.agents.register('exclaim', { kind: 'function', run: async (ctx) => `${String(ctx.input)}! (${ctx.action})` });
});
afterAll(async () => engine?.close());

const rejection = async (promise: Promise<unknown>): Promise<BatonError> => {
  const error = await promise.then(() => undefined, (caught: unknown) => caught);
  expect(error).toBeInstanceOf(BatonError);
  return error as BatonError;
};

describe('agentRun steps', () => {
  it('runs three agent steps in stepOrder, each on the previous output, and completes with the last', async () => {
    const project = uniqueProject('steps');
    // Declared out of order: stepOrder, not array position, decides.
    const definition = defineRun(project, [
      { name: 'shout', agentId: 'exclaim', action: 'loud', stepOrder: 3 },
      { name: 'copy', agentId: 'echo', stepOrder: 1 },
      { name: 'upper', agentId: 'upper', stepOrder: 2 },
    ]);
    const snapshot = await engine.runs.startAndWait({ project, definition, task: 't', state: {}, input: 'hello' });
    expect(snapshot.status).toBe('completed');
    expect(snapshot.result).toBe('HELLO! (loud)');
    expect(snapshot.steps.map((step) => [step.name, step.status, step.input, step.output])).toEqual([
      ['copy', 'completed', 'hello', 'hello'],
      ['upper', 'completed', 'hello', 'HELLO'],
      ['shout', 'completed', 'HELLO', 'HELLO! (loud)'],
    ]);
    expect(snapshot.currentStepOrder).toBe(3);
    expect(snapshot.pendingAction).toBeNull();
  });

  it('pauses at an approval with its rendered message and continues with the chosen option', async () => {
    const project = uniqueProject('approve');
    const definition = defineRun(project, [
      { name: 'draft', agentId: 'template', action: 'Offer for {{state.customer}}' },
      { type: 'approval', name: 'ok', message: 'Send "{{steps.draft.output}}" for {{task}}?', options: ['yes', 'no'] },
      { name: 'after', agentId: 'echo' },
    ]);
    const paused = await engine.runs.startAndWait({ project, definition, task: 'the renewal', state: { customer: 'ACME' }, input: null });
    expect(paused.status).toBe('paused');
    expect(paused.steps.map((step) => step.name)).toEqual(['draft']);
    expect(paused.pendingAction).toEqual({ step: 'ok', type: 'confirmation', message: 'Send "Offer for ACME" for the renewal?', options: ['yes', 'no'], expiresAt: expect.any(String) as string });

    const applied = await engine.runs.resume(project, paused.runId, { step: 'ok', input: 'yes' });
    expect(applied.status).toBe('running');
    expect(applied.version).toBeGreaterThan(paused.version);
    const finished = await runResult(engine.client, paused.runId);
    expect(finished.status).toBe('completed');
    expect(await engine.runs.get(project, paused.runId)).toEqual(finished);
    expect(finished.result).toBe('yes');
    expect(finished.steps.map((step) => [step.name, step.output])).toEqual([['draft', 'Offer for ACME'], ['ok', 'yes'], ['after', 'yes']]);
  });

  it('rejects a bad option, a wrong step and a finished run without adding to history', async () => {
    const project = uniqueProject('reject');
    const definition = defineRun(project, [{ type: 'approval', name: 'gate', message: 'Go?', options: ['approve', 'reject'] }]);
    const paused = await engine.runs.startAndWait({ project, definition, task: 't', state: {}, input: 1 });
    const before = await historyLength(engine.client, paused.runId);

    const badOption = await rejection(engine.runs.resume(project, paused.runId, { step: 'gate', input: 'maybe' }));
    expect([badOption.code, badOption.status, badOption.details]).toEqual(['invalid_resume_input', 422, { options: ['approve', 'reject'] }]);
    const wrongStep = await rejection(engine.runs.resume(project, paused.runId, { step: 'other', input: 'approve' }));
    expect([wrongStep.code, wrongStep.status]).toEqual(['step_mismatch', 409]);
    const otherProject = await rejection(engine.runs.resume('someone-else', paused.runId, { step: 'gate', input: 'approve' }));
    expect([otherProject.code, otherProject.status]).toEqual(['run_not_found', 404]);
    expect(await historyLength(engine.client, paused.runId)).toBe(before);

    const done = await engine.runs.resumeAndWait(project, paused.runId, { step: 'gate', input: 'approve' });
    expect([done.status, done.result]).toEqual(['completed', 'approve']);
    const finishedLength = await historyLength(engine.client, paused.runId);
    const late = await rejection(engine.runs.resume(project, paused.runId, { step: 'gate', input: 'approve' }));
    expect([late.code, late.status]).toEqual(['run_finished', 409]);
    expect(await historyLength(engine.client, paused.runId)).toBe(finishedLength);
  });

  it('rejects a resume while an agent step is still running as run_not_paused', async () => {
    const project = uniqueProject('busy');
    let release!: () => void;
    const gate = new Promise<void>((resolve) => (release = resolve));
    engine.agents.register('held', { kind: 'function', run: async () => gate.then(() => 'released') });
    const definition = defineRun(project, [{ name: 'hold', agentId: 'held' }]);
    const running = await engine.runs.startAndWait({ project, definition, task: 't', state: {}, input: null, waitMs: 300 });
    expect(running.status).toBe('running');
    expect(running.steps).toMatchObject([{ name: 'hold', status: 'running' }]);
    const error = await rejection(engine.runs.resume(project, running.runId, { step: 'hold', input: 'x' }));
    expect(error.code).toBe('run_not_paused');
    release();
    expect((await runResult(engine.client, running.runId)).result).toBe('released');
  });

  it('ends the run on reject → end and jumps to a named step on another value', async () => {
    const project = uniqueProject('branch');
    const definition = defineRun(project, [
      { type: 'approval', name: 'decide', message: 'Which way?', options: ['reject', 'skip', 'go'], next: { reject: 'end', skip: 'last' } },
      { name: 'middle', agentId: 'upper' },
      { name: 'last', agentId: 'echo' },
    ]);
    const rejected = await engine.runs.startAndWait({ project, definition, task: 't', state: {}, input: 'in' });
    const ended = await engine.runs.resumeAndWait(project, rejected.runId, { step: 'decide', input: 'reject' });
    expect([ended.status, ended.result, ended.steps.map((step) => step.name)]).toEqual(['completed', 'reject', ['decide']]);

    const skipping = await engine.runs.startAndWait({ project, definition, task: 't', state: {}, input: 'in' });
    const skipped = await engine.runs.resumeAndWait(project, skipping.runId, { step: 'decide', input: 'skip' });
    expect([skipped.status, skipped.result, skipped.steps.map((step) => step.name)]).toEqual(['completed', 'skip', ['decide', 'last']]);

    const going = await engine.runs.startAndWait({ project, definition, task: 't', state: {}, input: 'in' });
    const went = await engine.runs.resumeAndWait(project, going.runId, { step: 'decide', input: 'go' });
    expect(went.steps.map((step) => step.name)).toEqual(['decide', 'middle', 'last']);
    expect(went.result).toBe('GO');
  });

  it('fails the run when a branch says fail', async () => {
    const project = uniqueProject('failbranch');
    const definition = defineRun(project, [{ type: 'approval', name: 'qa', message: 'Pass?', options: ['pass', 'block'], next: { block: 'fail' } }]);
    const paused = await engine.runs.startAndWait({ project, definition, task: 't', state: {}, input: null });
    const failed = await engine.runs.resumeAndWait(project, paused.runId, { step: 'qa', input: 'block' });
    expect(failed.status).toBe('failed');
    expect([failed.error?.code, failed.error?.step]).toEqual(['branch_failed', 'qa']);
    expect(failed.error?.message).toContain('"block"');
  });

  it('validates input steps against their JSON Schema and lists the errors', async () => {
    const project = uniqueProject('input');
    const schema = { type: 'object', properties: { amount: { type: 'number', minimum: 1 } }, required: ['amount'], additionalProperties: false };
    const definition = defineRun(project, [{ type: 'input', name: 'amount', message: 'How much for {{state.item}}?', schema }, { name: 'done', agentId: 'echo' }]);
    const paused = await engine.runs.startAndWait({ project, definition, task: 't', state: { item: 'tea' }, input: null });
    expect(paused.pendingAction).toEqual({ step: 'amount', type: 'input', message: 'How much for tea?', schema, expiresAt: expect.any(String) as string });

    const bad = await rejection(engine.runs.resume(project, paused.runId, { step: 'amount', input: { amount: 0, extra: true } }));
    expect(bad.code).toBe('invalid_resume_input');
    const errors = (bad.details as { errors: { path: string; keyword: string }[] }).errors;
    expect(errors.map((error) => error.keyword)).toEqual(expect.arrayContaining(['minimum', 'additionalProperties']));
    const missing = await rejection(engine.runs.resume(project, paused.runId, { step: 'amount', input: 'ten' }));
    expect(missing.code).toBe('invalid_resume_input');

    const done = await engine.runs.resumeAndWait(project, paused.runId, { step: 'amount', input: { amount: 3 } });
    expect([done.status, done.result]).toEqual(['completed', { amount: 3 }]);
  });

  it('lets a human accept or replace a requireApproval agent output', async () => {
    const project = uniqueProject('review');
    const definition = defineRun(project, [
      { name: 'summarize', agentId: 'upper', requireApproval: true },
      { name: 'publish', agentId: 'exclaim', action: 'pub' },
    ]);
    const paused = await engine.runs.startAndWait({ project, definition, task: 't', state: {}, input: 'draft text' });
    expect(paused.status).toBe('paused');
    expect(paused.pendingAction).toMatchObject({ step: 'summarize', type: 'review', proposedOutput: 'DRAFT TEXT' });
    expect(paused.steps).toMatchObject([{ name: 'summarize', status: 'running' }]);
    const replaced = await engine.runs.resumeAndWait(project, paused.runId, { step: 'summarize', input: 'Approved summary' });
    expect(replaced.steps.map((step) => [step.name, step.status, step.output])).toEqual([
      ['summarize', 'completed', 'Approved summary'],
      ['publish', 'completed', 'Approved summary! (pub)'],
    ]);
    const session = await engine.sessions.list(project, replaced.sessionId);
    expect(session.map((entry) => [entry.step, entry.output])).toEqual([['summarize', 'Approved summary'], ['publish', 'Approved summary! (pub)']]);
  });
});
