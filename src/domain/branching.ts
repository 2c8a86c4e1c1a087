// Where a run goes after a step: `next` maps an output value to continue | end | fail | a step name.
// Pure, so the workflow interpreter and definition checks share one reading of `next`.
import type { Step } from './step.ts';

/** The key a `next` map may match a fallback with, when no value matches. */
export const NEXT_FALLBACK_KEY = '*';

export type NextDecision =
  | { kind: 'continue' }
  | { kind: 'end' }
  | { kind: 'fail'; value: string }
  | { kind: 'goto'; step: string };

/** The value `next` is keyed by: a string output (or chosen option) as is, numbers and booleans as text. */
export function branchKey(output: unknown): string | null {
  if (typeof output === 'string') return output;
  if (typeof output === 'number' || typeof output === 'boolean') return String(output);
  return null;
}

/** Reads a step's `next` map for one output; no map or no match means continue. */
export function resolveNext(next: Record<string, string> | undefined, output: unknown): NextDecision {
  if (!next) return { kind: 'continue' };
  const key = branchKey(output);
  const target = key !== null && Object.hasOwn(next, key) ? next[key] : next[NEXT_FALLBACK_KEY];
  if (target === undefined || target === 'continue') return { kind: 'continue' };
  if (target === 'end') return { kind: 'end' };
  if (target === 'fail') return { kind: 'fail', value: key ?? '' };
  return { kind: 'goto', step: target };
}

/**
 * Index in `orderedSteps` (sorted by stepOrder) of the step to run after `currentIndex`, or
 * 'end' / 'fail'. A goto to a step that does not exist is reported, never guessed.
 */
export function nextStepIndex(
  orderedSteps: readonly Pick<Step, 'name'>[],
  currentIndex: number,
  decision: NextDecision,
): { kind: 'step'; index: number } | { kind: 'end' } | { kind: 'fail'; value: string } | { kind: 'unknown_step'; step: string } {
  switch (decision.kind) {
    case 'continue':
      return currentIndex + 1 < orderedSteps.length ? { kind: 'step', index: currentIndex + 1 } : { kind: 'end' };
    case 'end':
      return { kind: 'end' };
    case 'fail':
      return decision;
    case 'goto': {
      const index = orderedSteps.findIndex((step) => step.name === decision.step);
      return index === -1 ? { kind: 'unknown_step', step: decision.step } : { kind: 'step', index };
    }
  }
}

/** Every `next` target that names no step of the definition; empty when the branching is sound. */
export function unknownBranchTargets(steps: readonly Pick<Step, 'name' | 'next'>[]): { step: string; value: string; target: string }[] {
  const names = new Set(steps.map((step) => step.name));
  const keywords = new Set(['continue', 'end', 'fail']);
  return steps.flatMap((step) =>
    Object.entries(step.next ?? {})
      .filter(([, target]) => !keywords.has(target) && !names.has(target))
      .map(([value, target]) => ({ step: step.name, value, target })),
  );
}
