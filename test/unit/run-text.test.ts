import { describe, expect, it } from 'vitest';
import { formatOutcome, formatRun, formatRunList, oneLine, questionSummary } from '../../src/cli/run-text.ts';
import type { PendingAction } from '../../src/domain/pending-action.ts';
import type { V1Run, V1RunList } from '../../src/domain/v1-api.ts';

const paused = (pendingAction: PendingAction, steps: V1Run['output']['steps'] = []): V1Run =>
  ({ run_id: 'wfr_1', output: { status: 'paused', steps, result: null, pendingAction } });

describe('baton runs get as text', () => {
  it('shows the status, each step with a short output, and a confirmation with its options and how to answer', () => {
    const text = formatRun(paused(
      { step: 'approval', type: 'confirmation', message: 'Route to enterprise?', options: ['approve', 'reject'] },
      [{ name: 'classify', status: 'completed', output: { category: 'enterprise', reason: 'x'.repeat(200) } }],
    ));
    expect(text).toBe([
      'Run     wfr_1',
      'Status  paused',
      '',
      'Steps:',
      `  1.  classify  completed  ${oneLine({ category: 'enterprise', reason: 'x'.repeat(200) }, 80)}`,
      '',
      'Waiting at step approval (confirmation):',
      '  Route to enterprise?',
      '  Options: approve, reject',
      '  Answer with: baton runs resume wfr_1 --step approval --input \'approve\'',
    ].join('\n'));
    expect(oneLine({ reason: 'x'.repeat(200) }, 80)).toHaveLength(80);
  });

  it('shows a tool approval\'s tool and arguments, a review\'s proposed output and an input\'s schema', () => {
    const tool = formatRun(paused({ step: 'agent', type: 'tool_approval', message: 'Call http_request?', options: ['approve', 'reject'], tool: { name: 'http_request', arguments: { url: 'https://x.example.com' } } }));
    expect(tool).toContain('  Tool: http_request\n  Arguments:\n    {\n      "url": "https://x.example.com"\n    }\n  Options: approve, reject');
    const review = formatRun(paused({ step: 'draft', type: 'review', message: 'Check the draft', proposedOutput: { subject: 'Hi' } }));
    expect(review).toContain('  Proposed output (send it back unchanged to accept it, or send a replacement):\n    {\n      "subject": "Hi"\n    }');
    expect(review).toContain('--step draft --input \'{"subject":"Hi"}\'');
    const input = formatRun(paused({ step: 'details', type: 'input', message: 'Which team?', schema: { type: 'string' } }));
    expect(input).toContain('  The answer must match this JSON Schema:\n    {\n      "type": "string"\n    }\n  Answer with: baton runs resume wfr_1 --step details --input <JSON or text>');
  });

  it('shows a failed run\'s error and a completed run\'s result', () => {
    const failed: V1Run = { run_id: 'wfr_2', output: { status: 'failed', steps: [{ name: 'call', status: 'failed', output: null }], result: null, pendingAction: null, error: { code: 'agent_error', message: 'HTTP 500', step: 'call' } } };
    expect(formatRun(failed)).toBe('Run     wfr_2\nStatus  failed\nError   agent_error: HTTP 500 (step call)\n\nSteps:\n  1.  call  failed');
    const done: V1Run = { run_id: 'wfr_3', output: { status: 'completed', steps: [], result: { routedTo: 'smb' }, pendingAction: null } };
    expect(formatRun(done)).toContain('Steps: none yet\n\nResult:\n  {\n    "routedTo": "smb"\n  }');
  });

  it('never writes a terminal control character from a run\'s data', () => {
    const text = formatRun(paused(
      { step: 'approval', type: 'confirmation', message: 'Approve?\u001b]0;owned\u0007\nsecond line', options: ['ok\u001b[2J'] },
      [{ name: 'draft', status: 'completed', output: 'red\u001b[31m\ttext' }],
    ));
    expect(text).not.toMatch(/\p{Cc}(?<!\n)/u);
    expect(text).toContain('  Approve?]0;owned\n  second line');
    expect(text).toContain('draft  completed  red[31m text');
  });
});

describe('baton runs get as text: the answers', () => {
  it('lists each answer with who gave it, when, and the comment after the steps', () => {
    const run: V1Run = {
      run_id: 'wfr_4',
      output: {
        status: 'completed', steps: [{ name: 'approval', status: 'completed', output: 'approve' }], result: 'routed', pendingAction: null,
        answers: [
          { step: 'approval', type: 'confirmation', input: 'approve', comment: 'Known customer.\nSee ticket 12.', answeredBy: { via: 'api', label: 'alice' }, answeredAt: '2026-01-01T00:00:05.000Z' },
          { step: 'details', type: 'input', input: { employees: 40 }, comment: null, answeredBy: { via: 'api', label: null }, answeredAt: '2026-01-01T00:00:09.000Z' },
        ],
      },
    };
    expect(formatRun(run)).toBe([
      'Run     wfr_4',
      'Status  completed',
      '',
      'Steps:',
      '  1.  approval  completed  approve',
      '',
      'Answers:',
      '  1. approval (confirmation): approve',
      '     by alice (api) at 2026-01-01T00:00:05.000Z',
      '     Comment:',
      '       Known customer.',
      '       See ticket 12.',
      '  2. details (input): {"employees":40}',
      '     by api (no label) at 2026-01-01T00:00:09.000Z',
      '',
      'Result:',
      '  routed',
    ].join('\n'));
  });

  it('never writes a terminal control character from a label or a comment', () => {
    const run: V1Run = {
      run_id: 'wfr_5',
      output: {
        status: 'running', steps: [], result: null, pendingAction: null,
        answers: [{ step: 'a', type: 'review', input: 'ok', comment: 'fine\u001b[2J', answeredBy: { via: 'api', label: 'x\u0007' }, answeredAt: '2026-01-01T00:00:05.000Z' }],
      },
    };
    expect(formatRun(run)).not.toMatch(/\p{Cc}(?<!\n)/u);
  });
});

describe('baton runs list as text', () => {
  const page: V1RunList = {
    data: [
      { run_id: 'wfr_1', status: 'paused', agent: 'lead-router', definition_id: 'wf', session_id: 's', current_step_order: 2, created_at: '2026-01-01T00:00:00.000Z', updated_at: '2026-01-01T00:00:01.000Z' },
      { run_id: 'wfr_22', status: 'completed', agent: null, definition_id: 'wf', session_id: 's', current_step_order: 3, created_at: '2026-01-01T00:00:00.000Z', updated_at: '2026-01-01T00:00:02.000Z' },
    ],
    next_cursor: 'c1',
  };

  it('adds what each paused run asks, cut to 60 characters, and the next page', () => {
    const asks = questionSummary({ step: 'approval', type: 'confirmation', message: `Route to enterprise sales? ${'Details. '.repeat(10)}`, options: ['approve', 'reject'] });
    expect(asks).toHaveLength(60);
    expect(asks.endsWith('…')).toBe(true);
    expect(formatRunList(page, new Map([['wfr_1', asks]])).split('\n')).toEqual([
      'RUN     STATUS     AGENT        STEP  UPDATED                   ASKS',
      `wfr_1   paused     lead-router  2     2026-01-01T00:00:01.000Z  ${asks}`,
      'wfr_22  completed  -            3     2026-01-01T00:00:02.000Z',
      'next page: --cursor c1',
    ]);
  });
});

describe('baton runs resume and cancel as text', () => {
  it('say what was done and the new status on one line', () => {
    expect(formatOutcome('Cancelled wfr_1', { run_id: 'wfr_1', output: { status: 'cancelled', steps: [], result: null, pendingAction: null } })).toBe('Cancelled wfr_1; now cancelled');
    expect(formatOutcome('Resumed wfr_1 at step a with "ok"', paused({ step: 'b', type: 'confirmation', message: 'Next?', options: ['yes'] })))
      .toBe('Resumed wfr_1 at step a with "ok"; now paused at step b: Next? [yes]');
    expect(formatOutcome('Resumed wfr_1', { run_id: 'wfr_1', output: { status: 'failed', steps: [], result: null, pendingAction: null, error: { code: 'agent_error', message: 'down', step: 'b' } } }))
      .toBe('Resumed wfr_1; now failed: agent_error: down');
  });
});
