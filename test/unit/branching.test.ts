import { describe, expect, it } from 'vitest';
import { branchKey, nextStepIndex, resolveNext, unknownBranchTargets } from '../../src/domain/branching.ts';

const steps = [{ name: 'classify' }, { name: 'approval' }, { name: 'route' }];

describe('resolveNext', () => {
  it('continues when there is no map or no matching value', () => {
    expect(resolveNext(undefined, 'approve')).toEqual({ kind: 'continue' });
    expect(resolveNext({ reject: 'end' }, 'approve')).toEqual({ kind: 'continue' });
    expect(resolveNext({ reject: 'end' }, { category: 'x' })).toEqual({ kind: 'continue' });
  });

  it('maps a value to end, fail, continue or a step name', () => {
    const next = { reject: 'end', block: 'fail', approve: 'continue', escalate: 'route' };
    expect(resolveNext(next, 'reject')).toEqual({ kind: 'end' });
    expect(resolveNext(next, 'block')).toEqual({ kind: 'fail', value: 'block' });
    expect(resolveNext(next, 'approve')).toEqual({ kind: 'continue' });
    expect(resolveNext(next, 'escalate')).toEqual({ kind: 'goto', step: 'route' });
  });

  it('matches numbers and booleans by their text, and falls back to "*"', () => {
    expect(resolveNext({ '3': 'end', true: 'fail' }, 3)).toEqual({ kind: 'end' });
    expect(resolveNext({ true: 'fail' }, true)).toEqual({ kind: 'fail', value: 'true' });
    expect(resolveNext({ ok: 'continue', '*': 'fail' }, 'other')).toEqual({ kind: 'fail', value: 'other' });
    expect(resolveNext({ '*': 'end' }, { not: 'a key' })).toEqual({ kind: 'end' });
    expect(branchKey(null)).toBeNull();
  });

  it('ignores inherited keys such as "constructor"', () => {
    expect(resolveNext({ reject: 'end' }, 'constructor')).toEqual({ kind: 'continue' });
  });
});

describe('nextStepIndex', () => {
  it('continues to the following step and ends after the last', () => {
    expect(nextStepIndex(steps, 0, { kind: 'continue' })).toEqual({ kind: 'step', index: 1 });
    expect(nextStepIndex(steps, 2, { kind: 'continue' })).toEqual({ kind: 'end' });
  });

  it('jumps forward or back by name and reports a name that is not a step', () => {
    expect(nextStepIndex(steps, 0, { kind: 'goto', step: 'route' })).toEqual({ kind: 'step', index: 2 });
    expect(nextStepIndex(steps, 2, { kind: 'goto', step: 'classify' })).toEqual({ kind: 'step', index: 0 });
    expect(nextStepIndex(steps, 0, { kind: 'goto', step: 'nowhere' })).toEqual({ kind: 'unknown_step', step: 'nowhere' });
    expect(nextStepIndex(steps, 1, { kind: 'end' })).toEqual({ kind: 'end' });
    expect(nextStepIndex(steps, 1, { kind: 'fail', value: 'x' })).toEqual({ kind: 'fail', value: 'x' });
  });
});

describe('unknownBranchTargets', () => {
  it('names every target that is neither a keyword nor a step', () => {
    expect(unknownBranchTargets([{ name: 'a', next: { x: 'b', y: 'end', z: 'ghost' } }, { name: 'b' }])).toEqual([{ step: 'a', value: 'z', target: 'ghost' }]);
    expect(unknownBranchTargets([{ name: 'a', next: { x: 'continue', y: 'fail' } }])).toEqual([]);
  });
});
