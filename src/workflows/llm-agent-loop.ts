import { ApplicationFailure } from '@temporalio/workflow';
import type { z } from 'zod';
import type { AgentContext, llmAgentConfigSchema } from '../domain/agent.ts';
import type { ChatMessage, ChatToolCall, ModelCallRequest, ModelReply, ToolApprovalDecision, ToolCallRequest, ToolResult } from '../domain/llm.ts';
import type { PendingAction } from '../domain/pending-action.ts';

// The tool loop of an llm agent, run as workflow code: each model call and each tool call is an
// activity whose result is recorded, so after a crash the loop replays from history and resumes
// after the last completed call instead of paying for (or repeating the effects of) it again.

export type LlmAgentConfig = z.infer<typeof llmAgentConfigSchema>;
export type ToolApprovalAction = Extract<PendingAction, { type: 'tool_approval' }>;

export const defaultMaxTurns = 8;
// Spelled out, not imported from domain/llm.ts, which would pull zod into the workflow bundle.
export const toolApprovalOptions = ['approve', 'reject'];

export interface LlmAgentLoopInput {
  agentId: string;
  config: LlmAgentConfig;
  context: AgentContext;
}

export interface LlmAgentLoopDeps {
  /** The callModel activity (a proxy, possibly wrapped to add a summary). */
  callModel(request: ModelCallRequest): Promise<ModelReply>;
  /** The callTool activity. */
  callTool(request: ToolCallRequest): Promise<ToolResult>;
  /** Pauses the run with the tool_approval action and resolves with the operator's decision. */
  askToolApproval(action: ToolApprovalAction): Promise<ToolApprovalDecision>;
}

export interface LlmToolCallRecord {
  name: string;
  arguments: unknown;
  /** 'approved'/'rejected' for tools that require approval, 'auto' otherwise. */
  approval: 'auto' | 'approved' | 'rejected';
  isError: boolean;
}

export interface LlmAgentLoopResult {
  /** The final assistant message, parsed when it is a JSON object or array (see parseFinalAnswer). */
  output: unknown;
  modelCalls: number;
  toolCalls: LlmToolCallRecord[];
}

export async function runLlmAgentLoop(input: LlmAgentLoopInput, deps: LlmAgentLoopDeps): Promise<LlmAgentLoopResult> {
  const { agentId, config, context } = input;
  const maxTurns = config.maxTurns ?? defaultMaxTurns;
  const offered = new Map((config.tools ?? []).map((tool) => [tool.name, tool.requiresApproval ?? false]));
  const messages = buildInitialMessages(config, context);
  const toolCalls: LlmToolCallRecord[] = [];

  for (let turn = 1; turn <= maxTurns; turn++) {
    const reply = await deps.callModel({
      agentId,
      project: context.project,
      model: config.model,
      ...(config.baseUrl !== undefined ? { baseUrl: config.baseUrl } : {}),
      ...(config.apiKeyEnv !== undefined ? { apiKeyEnv: config.apiKeyEnv } : {}),
      ...(config.temperature !== undefined ? { temperature: config.temperature } : {}),
      messages,
      tools: [...offered.keys()],
    });
    if (reply.toolCalls.length === 0) return { output: parseFinalAnswer(reply.content), modelCalls: turn, toolCalls };

    messages.push({ role: 'assistant', content: reply.content, toolCalls: reply.toolCalls });
    for (const call of reply.toolCalls) {
      const { record, content } = await runToolCall(call, { agentId, context, offered, deps });
      if (record) toolCalls.push(record);
      messages.push({ role: 'tool', toolCallId: call.id, content });
    }
  }
  throw ApplicationFailure.create({
    type: 'llm_max_turns',
    nonRetryable: true,
    message: `llm agent "${agentId}" gave no final answer within ${maxTurns} model calls (config.maxTurns); it kept calling tools`,
  });
}

async function runToolCall(
  call: ChatToolCall,
  loop: { agentId: string; context: AgentContext; offered: Map<string, boolean>; deps: LlmAgentLoopDeps },
): Promise<{ record?: LlmToolCallRecord; content: string }> {
  const requiresApproval = loop.offered.get(call.name);
  if (requiresApproval === undefined) {
    return { content: `Error: tool "${call.name}" is not available; available tools: ${[...loop.offered.keys()].join(', ') || 'none'}.` };
  }
  let args: unknown;
  try {
    args = call.arguments.trim() === '' ? {} : JSON.parse(call.arguments);
  } catch {
    return { content: `Error: the arguments for ${call.name} are not valid JSON: ${call.arguments.slice(0, 500)}` };
  }

  let note = '';
  if (requiresApproval) {
    const decision = await loop.deps.askToolApproval({
      step: loop.context.step,
      type: 'tool_approval',
      message: `Agent "${loop.agentId}" wants to call the tool "${call.name}". Approve or reject the call.`,
      options: [...toolApprovalOptions],
      tool: { name: call.name, arguments: args },
    });
    if (!decision.approved) {
      return {
        record: { name: call.name, arguments: args, approval: 'rejected', isError: false },
        content: `The user rejected the call to ${call.name}. Do not call it again with the same arguments; continue without it or explain what you need.`,
      };
    }
    if (decision.arguments !== undefined) {
      args = decision.arguments;
      note = `Note: the user changed the arguments before approving; the tool ran with ${JSON.stringify(args)}.\n`;
    }
  }
  const result = await loop.deps.callTool({ agentId: loop.agentId, runId: loop.context.runId, step: loop.context.step, name: call.name, arguments: args });
  return {
    record: { name: call.name, arguments: args, approval: requiresApproval ? 'approved' : 'auto', isError: result.isError },
    content: note + result.content,
  };
}

/**
 * Reads a tool_approval resume input (already checked by the resume validator: an option, or
 * `{decision, arguments?}`) as the decision the loop consumes.
 */
export function toolApprovalDecision(input: unknown): ToolApprovalDecision {
  if (typeof input === 'string') return { approved: input === 'approve' };
  const answer = (typeof input === 'object' && input !== null ? input : {}) as { decision?: unknown; arguments?: unknown };
  if (answer.decision !== 'approve') return { approved: false };
  return answer.arguments === undefined ? { approved: true } : { approved: true, arguments: answer.arguments };
}

/**
 * The conversation the model starts from: the agent's system prompt, the session's earlier
 * steps as user/assistant turns, then this step's instruction with its task and input.
 */
export function buildInitialMessages(config: LlmAgentConfig, context: AgentContext): ChatMessage[] {
  const messages: ChatMessage[] = [];
  if (config.system) messages.push({ role: 'system', content: config.system });
  for (const entry of context.session) {
    messages.push({ role: 'user', content: `Earlier step "${entry.step}"${entry.agentId ? ` (agent ${entry.agentId})` : ''} received:\n${asText(entry.input)}` });
    messages.push({ role: 'assistant', content: asText(entry.output) });
  }
  const parts = [context.action.trim(), `Task: ${context.task}`];
  if (Object.keys(context.state).length > 0) parts.push(`State:\n${JSON.stringify(context.state, null, 2)}`);
  parts.push(`Input:\n${asText(context.input)}`);
  messages.push({ role: 'user', content: parts.filter((part) => part !== '').join('\n\n') });
  return messages;
}

/**
 * The step's output from the final assistant message: a JSON object or array (bare, or in a
 * ```json fence) becomes structured output, so later steps and `next` branches can use its
 * fields; anything else (prose, a bare number or word) stays the text the model wrote.
 */
export function parseFinalAnswer(content: string | null): unknown {
  if (content === null) return null;
  const fenced = /^```(?:json)?\s*\n([\s\S]*?)\n?```$/i.exec(content.trim());
  const candidate = (fenced ? fenced[1]! : content).trim();
  if (candidate.startsWith('{') || candidate.startsWith('[')) {
    try {
      return JSON.parse(candidate) as unknown;
    } catch {
      return content;
    }
  }
  return content;
}

function asText(value: unknown): string {
  if (value === undefined || value === null) return '(none)';
  return typeof value === 'string' ? value : JSON.stringify(value, null, 2);
}
