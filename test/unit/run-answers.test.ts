// The audit trail of answers: how the workflow's state records one, how the resume check guards
// what it records, and how each API shows it.
import { describe, expect, it } from 'vitest';
import { toV1Run } from '../../src/domain/v1-shape.ts';
import { agentManagerRunDetailSchema, toAgentManagerRunDetail } from '../../src/domain/agent-manager-runs.ts';
import type { AnswerRecord, RunSnapshot, RunStart } from '../../src/domain/run.ts';
import type { Step } from '../../src/domain/step.ts';
import { v1RunSchema } from '../../src/domain/v1-api.ts';
import { checkResume } from '../../src/workflows/resume-check.ts';
import { RunState } from '../../src/workflows/run-state.ts';

const at = '2025-01-01T00:00:00.000Z';
const approval: Step = { name: 'approval', stepOrder: 1, type: 'approval', message: 'Route it?', options: ['approve', 'reject'] } as Step;
const start: RunStart = {
  runId: 'wfr_01JAAAAAAAAAAAAAAAAAAAAAAA', project: 'p', sessionId: 'ses_1', task: 't', state: {}, input: null, defaultPauseTimeout: '7d',
  definition: { id: 'wf-1', name: 'Approve', project: 'p', steps: [approval] } as unknown as RunStart['definition'],
};
const pendingApproval = { step: 'approval', type: 'confirmation' as const, message: 'Route it?', options: ['approve', 'reject'] };

function pausedState(): RunState {
  const run = new RunState(start, at);
  run.pause(approval, pendingApproval, null, null);
  return run;
}

describe('RunState', () => {
  it('starts with no answers and records each answer, with who and why, in the version the answer bumps', () => {
    const run = pausedState();
    expect(new RunState(start, at).snapshot.answers).toEqual([]);
    const before = run.snapshot.version;
    const after = run.resume({ step: 'approval', input: 'approve', comment: 'Known customer' }, { project: 'p', by: { via: 'api', label: 'alice' } });
    expect(after.version).toBe(before + 1);
    expect(after.answers).toEqual([{ step: 'approval', type: 'confirmation', by: { via: 'api', label: 'alice' }, at: expect.stringMatching(/^\d{4}-/) as string, input: 'approve', comment: 'Known customer' }]);
  });

  it('records an answer without comment or caller as an anonymous API answer with comment null', () => {
    const run = pausedState();
    expect(run.resume({ step: 'approval', input: 'reject' }).answers).toEqual([
      { step: 'approval', type: 'confirmation', by: { via: 'api', label: null }, at: expect.any(String) as string, input: 'reject', comment: null },
    ]);
  });
});

describe('the resume check', () => {
  const run = { project: 'p', status: 'paused' as const, pendingAction: pendingApproval };

  it('refuses a comment that is not text of at most 4000 characters, and a malformed caller', () => {
    for (const comment of [5, null, { text: 'x' }, 'x'.repeat(4001)]) {
      expect(checkResume(run, { step: 'approval', input: 'approve', comment }, undefined)?.code).toBe('invalid_request');
    }
    for (const by of [{ via: 'email', label: null }, { via: 'api' }, { via: 'api', label: 5 }, 'alice']) {
      expect(checkResume(run, { step: 'approval', input: 'approve' }, { by } as never)?.code).toBe('invalid_request');
    }
  });

  it('accepts a comment of up to 4000 characters and a well-formed caller', () => {
    expect(checkResume(run, { step: 'approval', input: 'approve', comment: 'x'.repeat(4000) }, { project: 'p', by: { via: 'api', label: 'ops' } })).toBeNull();
    expect(checkResume(run, { step: 'approval', input: 'approve', comment: '' }, { by: { via: 'inbox', label: null } })).toBeNull();
  });
});

describe('the audit trail in each API', () => {
  const answer: AnswerRecord = { step: 'approval', type: 'confirmation', by: { via: 'api', label: 'alice' }, at, input: 'approve', comment: 'Known customer' };
  const snapshot = (overrides: Partial<RunSnapshot>): RunSnapshot => ({
    runId: 'wfr_abc', project: 'p', definitionId: 'wf-1', definitionName: 'Approve', agent: null, sessionId: 'ses_1',
    status: 'completed', steps: [], currentStepOrder: 1, result: 'done', pendingAction: null, error: null, version: 3, createdAt: at, updatedAt: at,
    ...overrides,
  });

  it('v1: output.answers in camel case, with the answer as `input`; absent until the first answer', () => {
    const body = toV1Run(snapshot({ answers: [answer] }));
    expect(body.output.answers).toStrictEqual([{ step: 'approval', type: 'confirmation', input: 'approve', comment: 'Known customer', answeredBy: { via: 'api', label: 'alice' }, answeredAt: at }]);
    expect(v1RunSchema.parse(body)).toStrictEqual(body);
    expect(toV1Run(snapshot({ answers: [] })).output).not.toHaveProperty('answers');
    expect(toV1Run(snapshot({})).output).not.toHaveProperty('answers');
  });

  it('Agent Manager: answers with the answer as `output`, always present', () => {
    const detail = toAgentManagerRunDetail(snapshot({ answers: [{ ...answer, comment: null, by: { via: 'api', label: null } }] }));
    expect(detail.answers).toStrictEqual([{ step: 'approval', type: 'confirmation', output: 'approve', comment: null, answeredBy: { via: 'api', label: null }, answeredAt: at }]);
    expect(agentManagerRunDetailSchema.parse(detail)).toStrictEqual(detail);
    expect(toAgentManagerRunDetail(snapshot({})).answers).toEqual([]);
  });
});
