import { Context } from '@temporalio/activity';
import { callHttpAgent, type HttpAgentCall } from '../agents/http-agent.ts';
import type { EgressPolicy } from '../security/egress-policy.ts';

export interface HttpAgentActivitiesDeps {
  env: Record<string, string | undefined>;
  egress?: EgressPolicy;
}

/** The http agent as its own activity; runAgentStep may instead call callHttpAgent directly. */
export function createHttpAgentActivities(deps: HttpAgentActivitiesDeps) {
  return {
    async callHttpAgent(call: HttpAgentCall): Promise<unknown> {
      const context = Context.current();
      // Heartbeats let a dead worker be noticed before the (possibly long) agent timeout.
      const timer = setInterval(() => context.heartbeat(), 5_000);
      try {
        return await callHttpAgent(call, { env: deps.env, signal: context.cancellationSignal, ...(deps.egress ? { egress: deps.egress } : {}) });
      } finally {
        clearInterval(timer);
      }
    },
  };
}

export type HttpAgentActivities = ReturnType<typeof createHttpAgentActivities>;
