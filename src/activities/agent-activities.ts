import { Context } from '@temporalio/activity';
import { ApplicationFailure } from '@temporalio/common';
import type { AgentContext, SessionEntry } from '../domain/agent.ts';
import { sessionAppendFailedType, type CarriedSession } from '../domain/session-append.ts';
import type { AgentRegistry, LlmAgentConfig } from '../agents/agent-registry.ts';
import type { SessionMemory } from './session-memory.ts';

export interface AgentActivitiesDeps {
  agents: AgentRegistry;
  sessions: SessionMemory;
}

/** One agent step as the workflow asks for it; the activity adds the session transcript. */
export type AgentStepRequest = Omit<AgentContext, 'session'> & {
  agentId: string;
  /** Append the answer to the session; false when a human reviews it first (the workflow appends then). */
  recordSession: boolean;
  /** Sent to the local activity: only a function agent runs there; any other kind answers `remote`. */
  localOnly?: boolean;
  /** Earlier answers' session entries, stored before anything else so the agent sees them in its transcript. */
  carriedSession?: CarriedSession;
  /**
   * The run opened the session and nothing was written to it yet (its first agent step): the
   * transcript is empty, and the step skips the store read that would say so.
   */
  emptyTranscript?: boolean;
};

/**
 * The agent's answer, or, for an llm agent, what the workflow needs to run its durable tool loop
 * (each model and tool call its own recorded activity).
 */
export type AgentStepResult =
  | { kind: 'output'; output: unknown }
  | { kind: 'llm'; config: LlmAgentConfig; session: SessionEntry[] }
  // The agent is no longer a function agent (as the starter saw it): the workflow runs it as an activity.
  | { kind: 'remote' };

export interface SessionAppendRequest {
  project: string;
  sessionId: string;
  entry: SessionEntry;
}

// Heartbeats carry cancellation to the activity and let the server notice a dead worker; the SDK
// throttles what it actually sends, so beating often costs nothing.
const heartbeatEveryMs = 1_000;

export function createAgentActivities({ agents, sessions }: AgentActivitiesDeps) {
  return {
    /** Runs one agent step: resolves the agent, hands it the context and the activity's abort signal. */
    async runAgentStep(request: AgentStepRequest): Promise<AgentStepResult> {
      const { agentId, recordSession, localOnly, carriedSession, emptyTranscript, ...fields } = request;
      // First, so they are stored even when this step then fails (an agent no longer registered);
      // the same statement reads the transcript the agent gets.
      const transcript = carriedSession ? await storeCarried(sessions, carriedSession) : undefined;
      const agent = await agents.resolve(request.project, agentId);
      // Not retryable: registering an agent needs a deploy or an API call, not another attempt.
      if (!agent) throw ApplicationFailure.create({ type: 'agent_not_found', nonRetryable: true, message: `agent "${agentId}" is not registered`, details: [{ agentId }] });
      // An http or llm agent may call out for long: that belongs in a regular (heartbeating) activity.
      if (localOnly && agent.kind !== 'function') return { kind: 'remote' };
      const session = transcript ?? (emptyTranscript ? [] : await sessions.list(request.project, request.sessionId));
      if (agent.kind === 'llm') return { kind: 'llm', config: agent.config, session };

      const context = Context.current();
      // A local activity cannot heartbeat (it is cancelled through the workflow task instead).
      const beat = context.info.isLocal ? undefined : setInterval(() => context.heartbeat(), heartbeatEveryMs);
      let output: unknown;
      try {
        output = (await agent.run({ ...fields, session }, context.cancellationSignal)) ?? null;
      } finally {
        clearInterval(beat);
      }
      if (recordSession) {
        await appendOrRefuse(sessions, request.project, request.sessionId, {
          runId: request.runId, step: request.step, agentId, input: request.input ?? null, output, at: new Date().toISOString(),
        });
      }
      return { kind: 'output', output };
    },

    /** Records a human answer (or a reviewed agent answer) in the session; idempotent by (runId, step). */
    async appendSessionEntry(request: SessionAppendRequest): Promise<void> {
      await appendOrRefuse(sessions, request.project, request.sessionId, request.entry);
    },
  };
}

/** Appends; an entry the store refuses for good (SessionWriteRefused) fails without retries as store_write_failed. */
async function appendOrRefuse(sessions: SessionMemory, project: string, sessionId: string, entry: SessionEntry): Promise<void> {
  try {
    await sessions.append(project, sessionId, entry);
  } catch (error) {
    if (error instanceof Error && error.name === 'SessionWriteRefused') {
      throw ApplicationFailure.create({ type: 'store_write_failed', nonRetryable: true, message: error.message });
    }
    throw error;
  }
}

/**
 * Stores the carried entries in order and answers the session's transcript with them. Any failure
 * fails as sessionAppendFailedType, without retries: the agent step's retries are the agent's; the
 * workflow then stores the entries with the session append's own retries, which also name the step
 * whose entry a store refused.
 */
export async function storeCarried(sessions: SessionMemory, { project, sessionId, entries }: CarriedSession): Promise<SessionEntry[]> {
  try {
    return await sessions.appendAndList(project, sessionId, entries);
  } catch (error) {
    const steps = entries.map((entry) => `"${entry.step}"`).join(', ');
    const what = entries.length === 1 ? `the session entry of step ${steps}` : `the session entries of steps ${steps}`;
    throw ApplicationFailure.create({ type: sessionAppendFailedType, nonRetryable: true, message: `${what} could not be stored: ${error instanceof Error ? error.message : String(error)}` });
  }
}

export type AgentActivities = ReturnType<typeof createAgentActivities>;
