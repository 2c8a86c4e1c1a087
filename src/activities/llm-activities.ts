import { Context } from '@temporalio/activity';
import { ApplicationFailure } from '@temporalio/common';
import { z } from 'zod';
import type { ModelCallRequest, ModelReply, ToolCallRequest, ToolResult } from '../domain/llm.ts';
import { requestChatCompletion } from '../agents/llm/chat-completions.ts';
import { resolveModelEndpoint } from '../agents/llm/model-endpoint.ts';
import { ToolError, type OpenAiFunctionTool, type ToolRegistry } from '../agents/tools/tool-registry.ts';
import { noProjectSecrets, type ProjectSecrets } from '../security/project-secrets.ts';
import { destinationEntry, egressPolicyFromEnv, type EgressPolicy } from '../security/egress-policy.ts';

export interface LlmActivitiesDeps {
  /** OPENAI_BASE_URL and OPENAI_API_KEY, the operator's default model. */
  env: Record<string, string | undefined>;
  /** The secrets each project may use as an agent's apiKeyEnv; none when left out. */
  secrets?: ProjectSecrets;
  tools: ToolRegistry;
  /** Where an agent's baseUrl may point (default: the policy of env's BATON_EGRESS_ALLOW). */
  egress?: EgressPolicy;
  /** Per model call; the activity's startToCloseTimeout should leave room for it. Default 120 s. */
  modelTimeoutMs?: number;
}

// A tool result is kept in the run's history and resent to the model on every later turn.
const maxToolResultChars = 50_000;

/** The activities of an llm agent's tool loop; the loop itself is workflow code (llm-agent-loop.ts). */
export function createLlmActivities(deps: LlmActivitiesDeps) {
  const modelTimeoutMs = deps.modelTimeoutMs ?? 120_000;
  const endpointDeps = { env: deps.env, secrets: deps.secrets ?? noProjectSecrets(deps.env) };
  const egress = deps.egress ?? egressPolicyFromEnv(deps.env);
  const operatorEndpoints = new Map<string, EgressPolicy>();
  /** OPENAI_BASE_URL is the operator's own choice (Ollama on localhost); an agent's baseUrl is a tenant's. */
  const egressFor = (request: ModelCallRequest, baseURL: string): EgressPolicy => {
    if (request.baseUrl !== undefined) return egress;
    let policy = operatorEndpoints.get(baseURL);
    if (!policy) operatorEndpoints.set(baseURL, (policy = egress.allowing([destinationEntry(baseURL)])));
    return policy;
  };
  return {
    /** One chat-completions call; its result is recorded, so a replay never calls the model again. */
    async callModel(request: ModelCallRequest): Promise<ModelReply> {
      const endpoint = resolveModelEndpoint(request, endpointDeps);
      let tools: OpenAiFunctionTool[];
      try {
        tools = deps.tools.toOpenAiTools(request.tools);
      } catch (error) {
        throw ApplicationFailure.create({ type: 'tool_not_registered', nonRetryable: true, message: `llm agent "${request.agentId}": ${(error as Error).message}` });
      }
      return withHeartbeat(() => requestChatCompletion({
        endpoint,
        request,
        tools,
        timeoutMs: modelTimeoutMs,
        signal: Context.current().cancellationSignal,
        egress: egressFor(request, endpoint.baseURL),
      }));
    },

    /**
     * Runs one tool. Bad arguments and ToolError refusals come back as an error result for the
     * model to read; any other error is thrown, so Temporal retries it.
     */
    async callTool(request: ToolCallRequest): Promise<ToolResult> {
      const tool = deps.tools.get(request.name);
      if (!tool) {
        throw ApplicationFailure.create({ type: 'tool_not_registered', nonRetryable: true, message: `tool "${request.name}" of llm agent "${request.agentId}" is not registered in this worker` });
      }
      const parsed = tool.parameters.safeParse(request.arguments);
      if (!parsed.success) return { isError: true, content: `Invalid arguments for ${request.name}: ${z.prettifyError(parsed.error)}` };
      try {
        const result = await withHeartbeat(() => tool.run(parsed.data, {
          agentId: request.agentId,
          runId: request.runId,
          step: request.step,
          signal: Context.current().cancellationSignal,
        }));
        const content = typeof result === 'string' ? result : JSON.stringify(result ?? null);
        return { isError: false, content: content.length > maxToolResultChars ? `${content.slice(0, maxToolResultChars)}…[truncated]` : content };
      } catch (error) {
        if (error instanceof ToolError) return { isError: true, content: `${request.name} failed: ${error.message}` };
        throw error;
      }
    },
  };
}

export type LlmActivities = ReturnType<typeof createLlmActivities>;

/** Heartbeats while a call is in flight, so a worker that died is noticed within the heartbeat timeout. */
async function withHeartbeat<T>(work: () => Promise<T>): Promise<T> {
  const context = Context.current();
  const everyMs = Math.max(1_000, Math.min(10_000, (context.info.heartbeatTimeoutMs ?? 20_000) / 2));
  const timer = setInterval(() => context.heartbeat(), everyMs);
  try {
    return await work();
  } finally {
    clearInterval(timer);
  }
}
