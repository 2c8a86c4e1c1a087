import { createAgentActivities, type AgentActivitiesDeps } from './agent-activities.ts';
import { createLlmActivities, type LlmActivities, type LlmActivitiesDeps } from './llm-activities.ts';

export type { AgentActivitiesDeps, AgentStepRequest, AgentStepResult, SessionAppendRequest } from './agent-activities.ts';
export { createInMemorySessionMemory, type SessionMemory } from './session-memory.ts';

export interface ActivitiesDeps extends AgentActivitiesDeps {
  /** The llm agents' model and tool calls; without it, a step with an llm agent fails at its first model call. */
  llm?: LlmActivitiesDeps;
}

/** Every activity the agentRun workflow calls, built from injected dependencies (STYLE 3). */
export function createActivities(deps: ActivitiesDeps) {
  return {
    ...createAgentActivities(deps),
    ...(deps.llm ? createLlmActivities(deps.llm) : {}),
  };
}

/** The workflow's view: all activities, including the llm ones a worker may leave out. */
export type Activities = ReturnType<typeof createAgentActivities> & LlmActivities;
