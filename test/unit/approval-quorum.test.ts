// N-of-M approvals without the engine: the definition checks, the resume check's refusals, how the
// workflow's state takes answers toward a quorum, the webhook event of a partial answer, the CLI text.
import { describe, expect, it, vi } from 'vitest';
import { formatOutcome, formatRun } from '../../src/cli/run-text.ts';
import type { PendingAction, QuorumProgress } from '../../src/domain/pending-action.ts';
import { applyQuorumAnswer, countedOption, initialProgress } from '../../src/domain/quorum.ts';
import type { Actor, RunStart } from '../../src/domain/run.ts';
import { stepSchema, type Step } from '../../src/domain/step.ts';
import { toV1Run } from '../../src/domain/v1-shape.ts';
import { eventTypeOf } from '../../src/domain/webhook.ts';
import { checkResume } from '../../src/workflows/resume-check.ts';
import { describePendingAction } from '../../src/workflows/run-publisher.ts';
import { RunState } from '../../src/workflows/run-state.ts';

const by = (label: string | null, via: Actor['via'] = 'api'): Actor => ({ via, label });
const at = '2025-01-01T00:00:00.000Z';

describe('an approval step\'s quorum as defined', () => {
  const step = (quorum: unknown, options = ['approve', 'reject']) => stepSchema.safeParse({ id: 'st-1', name: 'sign-off', stepOrder: 1, type: 'approval', message: 'Sign?', options, quorum });
  const paths = (quorum: unknown, options?: string[]) => {
    const parsed = step(quorum, options);
    return parsed.success ? [] : parsed.error.issues.map((issue) => issue.path.join('.'));
  };

  it('accepts what can run and counts `approve` when it is an option, else the first option', () => {
    expect(step({ required: 2, approvers: ['alice', 'bob@example.com', 'ops-bot'] }).success).toBe(true);
    expect(countedOption(['reject', 'approve'], {})).toBe('approve');
    expect(countedOption(['yes', 'no'], {})).toBe('yes');
    expect(countedOption(['approve', 'reject'], { option: 'reject' })).toBe('reject');
    expect(initialProgress(['yes', 'no'], { required: 2 })).toStrictEqual({ required: 2, option: 'yes', otherAnswerEnds: true, answers: [], remaining: 2 });
  });

  it('names the field of each problem', () => {
    expect(paths({ required: 0 })).toEqual(['quorum.required']);
    expect(paths({ required: 3, approvers: ['a', 'b'] })).toEqual(['quorum.required']);
    expect(paths({ required: 1, option: 'maybe' })).toEqual(['quorum.option']);
    expect(paths({ required: 1, approvers: ['a', 'a'] })).toEqual(['quorum.approvers.1']);
    expect(paths({ required: 1, approvers: ['-a'] })).toEqual(['quorum.approvers.0']);
    expect(paths({ required: 1, otherAnswerEnds: 1 })).toEqual(['quorum.otherAnswerEnds']);
    expect(paths({ required: 101 })).toEqual(['quorum.required']);
  });
});

describe('answers toward a quorum', () => {
  const progress = (extra: Partial<QuorumProgress> = {}): QuorumProgress => ({ ...initialProgress(['approve', 'reject'], { required: 2, approvers: ['alice', 'bob', 'carol'] }), ...extra });

  it('resolves with the counted option once enough people chose it', () => {
    const first = applyQuorumAnswer(progress(), { by: by('alice'), input: 'approve', at });
    expect(first).toMatchObject({ kind: 'partial', progress: { remaining: 1, answers: [{ by: by('alice'), input: 'approve', at }] } });
    if (first.kind !== 'partial') throw new Error('partial expected');
    expect(applyQuorumAnswer(first.progress, { by: by('bob', 'inbox'), input: 'approve', at })).toStrictEqual({ kind: 'resolved', output: 'approve' });
  });

  it('ends at once with another option, unless the step says otherwise', () => {
    expect(applyQuorumAnswer(progress(), { by: by('alice'), input: 'reject', at })).toStrictEqual({ kind: 'resolved', output: 'reject' });
    const kept = applyQuorumAnswer(progress({ otherAnswerEnds: false }), { by: by('alice'), input: 'reject', at });
    expect(kept).toMatchObject({ kind: 'partial', progress: { remaining: 2 } });
    if (kept.kind !== 'partial') throw new Error('partial expected');
    // Two of three rejected: the quorum can no longer be met, so the step ends with the last answer.
    expect(applyQuorumAnswer(kept.progress, { by: by('bob'), input: 'reject', at })).toStrictEqual({ kind: 'resolved', output: 'reject' });
  });
});

describe('the resume check of a step with a quorum', () => {
  const pending = (quorum: QuorumProgress): PendingAction => ({ step: 'sign-off', type: 'confirmation', message: 'Sign?', options: ['approve', 'reject'], quorum });
  const run = (quorum: QuorumProgress) => ({ project: 'p', status: 'paused' as const, pendingAction: pending(quorum) });
  const quorum = initialProgress(['approve', 'reject'], { required: 2, approvers: ['alice', 'bob'] });
  const request = { step: 'sign-off', input: 'approve' };

  it('refuses an answer without a label, an unlisted label and a second answer by the same label (whichever way it comes)', () => {
    expect(checkResume(run(quorum), request, { by: by(null) })?.code).toBe('approver_label_required');
    expect(checkResume(run(quorum), request, undefined)?.code).toBe('approver_label_required');
    expect(checkResume(run(quorum), request, { by: by('dave') })).toMatchObject({ code: 'not_an_approver', details: { label: 'dave', approvers: ['alice', 'bob'] } });
    const answered = { ...quorum, answers: [{ by: by('alice'), input: 'approve', at }], remaining: 1 };
    expect(checkResume(run(answered), request, { by: by('alice', 'inbox') })).toMatchObject({ code: 'already_answered', details: { label: 'alice', input: 'approve' } });
    expect(checkResume(run(answered), request, { by: by('bob') })).toBeNull();
    // The answer itself is still checked.
    expect(checkResume(run(answered), { step: 'sign-off', input: 'maybe' }, { by: by('bob') })?.code).toBe('invalid_resume_input');
  });
});

describe('RunState with a quorum', () => {
  const approval = { name: 'sign-off', stepOrder: 1, type: 'approval', message: 'Sign?', options: ['approve', 'reject'], quorum: { required: 2 } } as Step;
  const start = {
    runId: 'wfr_01JAAAAAAAAAAAAAAAAAAAAAAA', project: 'p', sessionId: 'ses_1', task: 't', state: {}, input: null, defaultPauseTimeout: '7d',
    definition: { id: 'wf-1', name: 'Sign', project: 'p', steps: [approval] },
  } as unknown as RunStart;
  const action: PendingAction = { step: 'sign-off', type: 'confirmation', message: 'Sign?', options: ['approve', 'reject'], quorum: initialProgress(['approve', 'reject'], { required: 2 }) };

  it('keeps the run paused after a partial answer, one version on, with the answer in the trail and the progress; the second approval resolves the step', () => {
    const run = new RunState(start, at);
    run.pause(approval, action, null, null);
    const before = run.snapshot.version;
    const partial = run.resume({ step: 'sign-off', input: 'approve' }, { by: by('alice') });
    expect(partial).toMatchObject({ status: 'paused', version: before + 1, steps: [] });
    expect([run.answered, run.progress]).toEqual([false, 1]);
    expect(partial.pendingAction).toMatchObject({ quorum: { remaining: 1, answers: [{ by: by('alice'), input: 'approve' }] } });
    expect(partial.answers).toHaveLength(1);
    expect(eventTypeOf(partial)).toBe('run.answered');
    // The Web UI's current details of the run say the same.
    expect(describePendingAction(partial.pendingAction!)).toContain('Needs 2 people to answer `approve`, 1 more: alice answered `approve`');
    expect(formatOutcome('Resumed wfr_1 at step sign-off with "approve"', toV1Run(partial)))
      .toBe('Resumed wfr_1 at step sign-off with "approve"; now paused at step sign-off: Sign? [approve|reject] — 1 of 2 approve (alice); 1 more needed');
    expect(formatRun(toV1Run(partial))).toContain([
      '  Options: approve, reject',
      '  Needs 2 different people (by API key label) to answer approve; another option ends the step at once',
      `    alice (api): approve at ${partial.answers![0]!.at}`,
      '  Still needed: 1',
    ].join('\n'));

    const done = run.resume({ step: 'sign-off', input: 'approve' }, { by: by('bob') });
    expect(done).toMatchObject({ status: 'running', pendingAction: null, steps: [{ name: 'sign-off', status: 'completed', output: 'approve' }] });
    expect([run.answered, run.takeAnswer()]).toEqual([true, 'approve']);
    expect(done.answers?.map((answer) => answer.by.label)).toEqual(['alice', 'bob']);
  });

  it('announces a plain pause as run.paused, and a notice as itself', () => {
    const run = new RunState(start, at);
    run.pause(approval, action, null, null);
    expect(eventTypeOf(run.snapshot)).toBe('run.paused');
    expect(eventTypeOf(run.snapshot, 'run.reminder')).toBe('run.reminder');
  });

  it('tells a reminder\'s snapshot and a partial answer\'s apart by their stamps, whoever records them (no notice)', () => {
    // Each step at its own instant, as in a workflow each would be its own activation.
    vi.useFakeTimers({ now: Date.parse(at) });
    try {
      const run = new RunState(start, at);
      run.pause(approval, action, null, null);
      vi.advanceTimersByTime(1000);
      run.remind(1);
      expect(eventTypeOf(run.snapshot)).toBe('run.reminder');
      vi.advanceTimersByTime(1000);
      run.resume({ step: 'sign-off', input: 'approve' }, { by: by('alice') });
      expect(eventTypeOf(run.snapshot)).toBe('run.answered');
      vi.advanceTimersByTime(1000);
      run.remind(2);
      expect(eventTypeOf(run.snapshot)).toBe('run.reminder');
      expect(eventTypeOf({ ...run.snapshot, status: 'completed', pendingAction: null })).toBe('run.completed');
      // A reminder and an answer at one instant: the answer is announced.
      const same = new RunState(start, at);
      same.pause(approval, action, null, null);
      vi.advanceTimersByTime(1000);
      same.remind(1);
      same.resume({ step: 'sign-off', input: 'approve' }, { by: by('alice') });
      expect(eventTypeOf(same.snapshot)).toBe('run.answered');
    } finally {
      vi.useRealTimers();
    }
  });
});
