// Zod-free (types only), so the workflow bundle can use it without the schemas.
import type { RunSnapshot, RunStart } from './run.ts';

/**
 * A run as it is before its first step: what the workflow starts from and a starter may list at once.
 * A forked run starts with the parent's copied step records and names its parent.
 */
export function initialSnapshot(start: RunStart, createdAt: string): RunSnapshot {
  const fork = start.fork;
  const snapshot: RunSnapshot = {
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
  if (fork) {
    snapshot.steps = fork.steps.map((record) => ({ ...record }));
    snapshot.currentStepOrder = fork.steps.at(-1)?.stepOrder ?? 0;
    snapshot.forkedFrom = { runId: fork.runId, step: fork.fromStep };
  }
  return snapshot;
}
