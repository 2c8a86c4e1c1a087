import { condition, defineQuery, defineUpdate, proxyActivities, setHandler, type RetryPolicy } from '@temporalio/workflow';
import type { HttpAgentActivities } from '../../src/activities/http-agent-activity.ts';
import type { LlmActivities } from '../../src/activities/llm-activities.ts';
import type { HttpAgentCall } from '../../src/agents/http-agent.ts';
import type { ModelCallRequest, ModelReply } from '../../src/domain/llm.ts';
import { runLlmAgentLoop, toolApprovalDecision, type LlmAgentLoopInput, type LlmAgentLoopResult, type ToolApprovalAction } from '../../src/workflows/llm-agent-loop.ts';

// Stand-ins for the agentRun interpreter: the smallest workflows that drive the llm and http agent
// activities and the llm loop through a real worker, with short retry intervals for tests.

const retry: RetryPolicy = { maximumAttempts: 3, initialInterval: '50ms', backoffCoefficient: 1 };
const llm = proxyActivities<LlmActivities>({ startToCloseTimeout: '10s', heartbeatTimeout: '3s', retry });
const http = proxyActivities<HttpAgentActivities>({ startToCloseTimeout: '10s', retry });

/** Answers a paused tool approval, as the interpreter's resume Update will. */
export const decideToolUpdate = defineUpdate<void, [unknown]>('decideTool');
export const pendingToolQuery = defineQuery<ToolApprovalAction | null>('pendingTool');

export async function callModelOnce(request: ModelCallRequest): Promise<ModelReply> {
  return llm.callModel(request);
}

export async function callHttpAgentOnce(call: HttpAgentCall): Promise<unknown> {
  return http.callHttpAgent(call);
}

export async function llmLoopHarness(input: LlmAgentLoopInput): Promise<LlmAgentLoopResult> {
  let pending: ToolApprovalAction | null = null;
  let answer: unknown;
  setHandler(pendingToolQuery, () => pending);
  setHandler(decideToolUpdate, async (decision) => {
    answer = decision;
  }, {
    validator: (_decision: unknown) => {
      if (!pending) throw new Error('no tool call is waiting for approval');
    },
  });
  return runLlmAgentLoop(input, {
    callModel: llm.callModel,
    callTool: llm.callTool,
    askToolApproval: async (action) => {
      pending = action;
      answer = undefined;
      await condition(() => answer !== undefined);
      pending = null;
      return toolApprovalDecision(answer);
    },
  });
}
