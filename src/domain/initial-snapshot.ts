// Zod-free (types only), so the workflow bundle can use it without the schemas.
import type { RunSnapshot, RunStart } from './run.ts';

/** A run as it is before its first step: what the workflow starts from and a starter may list at once. */
export function initialSnapshot(start: RunStart, createdAt: string): RunSnapshot {
  return {
    runId: start.runId,
    project: start.project,
    definitionId: start.definition.id,
    definitionName: start.definition.name,
    agent: start.definition.agent ?? null,
    sessionId: start.sessionId,
    status: 'running',
    steps: [],
    currentStepOrder: 0,
    result: null,
    pendingAction: null,
    error: null,
    answers: [],
    version: 0,
    createdAt,
    updatedAt: createdAt,
  };
}
