// planFork: which step a fork starts at, what it copies from the parent and on which input it runs.
import { describe, expect, it } from 'vitest';
import { runRegion } from '../../api/inbox/inbox-views.ts';
import { BatonError } from '../../src/domain/errors.ts';
import type { RunSnapshot, RunStart, StepRecord } from '../../src/domain/run.ts';
import { planFork } from '../../src/temporal/run-fork.ts';
import { defineRun } from '../integration/engine-harness.ts';

const at = '2025-01-01T00:00:00.000Z';

// draft → review (an approval that loops back to draft on "redo") → amount (input) → publish.
const definition = defineRun('p', [
  { name: 'draft', agentId: 'writer' },
  { type: 'approval', name: 'review', message: 'OK?', options: ['ok', 'redo'], next: { redo: 'draft' } },
  { type: 'input', name: 'amount', message: 'How many?', schema: { type: 'integer', minimum: 1 } },
  { name: 'publish', agentId: 'writer', requireApproval: true },
]);
const start: RunStart = { runId: 'wfr_parent', project: 'p', definition, task: 't', state: {}, input: 'the run input', sessionId: 'ses_1', defaultPauseTimeout: '1h' };

function record(name: string, input: unknown, output: unknown, overrides: Partial<StepRecord> = {}): StepRecord {
  const step = definition.steps.find((candidate) => candidate.name === name)!;
  return { name, stepOrder: step.stepOrder, type: step.type, agentId: step.type === 'agent' ? step.agentId : null, status: 'completed', input, output, startedAt: at, completedAt: at, ...overrides };
}

function parent(overrides: Partial<RunSnapshot>): RunSnapshot {
  return {
    runId: 'wfr_parent', project: 'p', definitionId: definition.id, definitionName: definition.name, agent: null, sessionId: 'ses_1', status: 'completed',
    steps: [], currentStepOrder: 0, result: null, pendingAction: null, error: null, version: 5, createdAt: at, updatedAt: at, ...overrides,
  };
}

// The parent redid its draft once: draft, review(redo), draft, review(ok), amount, publish.
const looped = parent({
  steps: [
    record('draft', 'the run input', 'v1'),
    record('review', 'v1', 'redo'),
    record('draft', 'redo', 'v2'),
    record('review', 'v2', 'ok'),
    record('amount', 'ok', 3),
    record('publish', 3, 'done'),
  ],
});

function refusal(run: () => unknown): { code: string; details: unknown } {
  try {
    run();
  } catch (error) {
    if (error instanceof BatonError) return { code: error.code, details: error.details };
    throw error;
  }
  throw new Error('not refused');
}

describe('planFork', () => {
  it('forks a step run more than once from its latest run, with the outputs as the parent had them then', () => {
    const fork = planFork(start, looped, { fromStep: 'review' });
    expect(fork).toEqual({
      runId: 'wfr_parent',
      fromStep: 'review',
      steps: looped.steps.slice(0, 3).map((step) => ({ ...step, origin: 'copied' })),
      outputs: { draft: { output: 'v2' }, review: { output: 'redo' } },
      input: 'v2',
    });
  });

  it('takes the first step with the run\'s input; a given output is wrapped, null included', () => {
    expect(planFork(start, looped, { fromStep: 'draft', output: { value: null } })).toMatchObject({ fromStep: 'draft', outputs: { draft: { output: 'v1' }, review: { output: 'redo' } }, input: 'redo', output: { value: null } });
    const first = parent({ status: 'running', steps: [record('draft', 'the run input', null, { status: 'running', completedAt: null })] });
    expect(planFork(start, first, { fromStep: 'draft' })).toMatchObject({ steps: [], input: 'the run input' });
  });

  it('forks a human step still waiting (no record yet) on the last output, and a reviewed agent step on its record', () => {
    const waiting = parent({ status: 'paused', steps: [record('draft', 'the run input', 'v1'), record('review', 'v1', 'redo'), record('draft', 'redo', 'v2')], pendingAction: { step: 'review', type: 'confirmation', message: 'OK?', options: ['ok', 'redo'] } });
    expect(planFork(start, waiting, { fromStep: 'review' })).toMatchObject({ input: 'v2', steps: waiting.steps.map((step) => ({ ...step, origin: 'copied' })), outputs: { draft: { output: 'v2' }, review: { output: 'redo' } } });
    const reviewing = parent({
      status: 'paused',
      steps: [...looped.steps.slice(0, 5), record('publish', 3, null, { status: 'running', completedAt: null })],
      pendingAction: { step: 'publish', type: 'review', message: 'Review', proposedOutput: 'draft answer' },
    });
    expect(planFork(start, reviewing, { fromStep: 'publish', output: { value: { any: ['json'] } } })).toMatchObject({ input: 3, steps: looped.steps.slice(0, 5).map((step) => ({ ...step, origin: 'copied' })) });
  });

  it('refuses unknown and unreached steps, and outputs the step could not have answered', () => {
    expect(refusal(() => planFork(start, looped, { fromStep: 'nope' }))).toEqual({ code: 'unknown_step', details: { steps: ['draft', 'review', 'amount', 'publish'] } });
    // A step id is a step only where the caller identifies steps by id (the Agent Manager API).
    expect(refusal(() => planFork(start, looped, { fromStep: 'st-2' }))).toMatchObject({ code: 'unknown_step' });
    expect(planFork(start, looped, { fromStep: 'st-2' }, { acceptStepIds: true }).fromStep).toBe('review');
    const early = parent({ status: 'failed', steps: [record('draft', 'the run input', 'v1'), record('review', 'v1', null, { status: 'failed' })] });
    expect(refusal(() => planFork(start, early, { fromStep: 'amount' }))).toEqual({ code: 'step_not_reached', details: { status: 'failed' } });
    expect(refusal(() => planFork(start, looped, { fromStep: 'review', output: { value: 'maybe' } }))).toMatchObject({ code: 'invalid_fork_output', details: { options: ['ok', 'redo'] } });
    expect(refusal(() => planFork(start, looped, { fromStep: 'amount', output: { value: 1.5 } }))).toMatchObject({ code: 'invalid_fork_output', details: { errors: [expect.objectContaining({ path: '#' })] } });
    expect(planFork(start, looped, { fromStep: 'amount', output: { value: 2 } }).output).toEqual({ value: 2 });
  });
});

describe('the inbox\'s run page', () => {
  it('links a fork to its parent and says which steps it did not run itself', () => {
    const fork = parent({
      runId: 'wfr_fork',
      status: 'paused',
      forkedFrom: { runId: 'wfr_parent', step: 'amount' },
      steps: [{ ...record('draft', 'the run input', 'v1'), origin: 'copied' }, { ...record('review', 'v1', 'ok'), origin: 'given' }],
      pendingAction: { step: 'amount', type: 'input', message: 'How many?' },
    });
    const html = String(runRegion({ run: fork, csrf: 'token', now: Date.parse(at) }));
    expect(html).toContain('<dt>Forked from</dt><dd><a class="parent-run" href="/inbox/runs/wfr_parent">wfr_parent</a> at step amount</dd>');
    expect(html.match(/<span class="hint origin">[^<]*<\/span>/g)).toEqual(['<span class="hint origin">copied from the parent run</span>', '<span class="hint origin">output given by the fork</span>']);
    expect(String(runRegion({ run: looped, csrf: 'token', now: Date.parse(at) }))).not.toContain('Forked from');
  });
});
