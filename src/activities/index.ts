import { createAgentActivities, type AgentActivitiesDeps } from './agent-activities.ts';
import { createLlmActivities, type LlmActivities, type LlmActivitiesDeps } from './llm-activities.ts';
import { createRunRecordActivities, type RunFailedListener, type RunRecordActivities, type RunRecordStore } from './run-record-activity.ts';

export type { AgentActivitiesDeps, AgentStepRequest, AgentStepResult, SessionAppendRequest } from './agent-activities.ts';
export { createInMemorySessionMemory, type SessionMemory } from './session-memory.ts';
export type { RunFailedListener, RunRecordStore } from './run-record-activity.ts';
export { createRunRecordSinks, type RunRecordSinkOptions, type RunRecordSinks } from './run-record-sink.ts';

export interface ActivitiesDeps extends AgentActivitiesDeps {
  /** The llm agents' model and tool calls; without it, a step with an llm agent fails at its first model call. */
  llm?: LlmActivitiesDeps;
  /** The run read model the workflow writes at start and at each settle. */
  runs: RunRecordStore;
  /** Told once of every run that failed, as its failure lands in the read model (one log line per failed step). */
  onRunFailed?: RunFailedListener;
}

/** Every activity the agentRun workflow calls, built from injected dependencies (STYLE 3). */
export function createActivities(deps: ActivitiesDeps) {
  return {
    ...createAgentActivities(deps),
    ...createRunRecordActivities(deps.runs, deps.onRunFailed, deps.sessions),
    ...(deps.llm ? createLlmActivities(deps.llm) : {}),
  };
}

/** The workflow's view: all activities, including the llm ones a worker may leave out. */
export type Activities = ReturnType<typeof createAgentActivities> & LlmActivities & RunRecordActivities;
