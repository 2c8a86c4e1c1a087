import { Context } from '@temporalio/activity';
import { callHttpAgent, type HttpAgentCall } from '../agents/http-agent.ts';
import type { EgressPolicy } from '../security/egress-policy.ts';
import type { ProjectSecrets } from '../security/project-secrets.ts';

export interface HttpAgentActivitiesDeps {
  secrets: ProjectSecrets;
  egress: EgressPolicy;
}

/** The http agent as its own activity; runAgentStep may instead call callHttpAgent directly. */
export function createHttpAgentActivities(deps: HttpAgentActivitiesDeps) {
  return {
    async callHttpAgent(call: HttpAgentCall): Promise<unknown> {
      const context = Context.current();
      // Heartbeats let a dead worker be noticed before the (possibly long) agent timeout.
      const timer = setInterval(() => context.heartbeat(), 5_000);
      try {
        return await callHttpAgent(call, { secrets: deps.secrets, egress: deps.egress, signal: context.cancellationSignal });
      } finally {
        clearInterval(timer);
      }
    },
  };
}

export type HttpAgentActivities = ReturnType<typeof createHttpAgentActivities>;
