import { z } from 'zod';

// Payloads that cross the workflow/activity boundary of an llm agent's tool loop. They live in
// the domain so the workflow (which may not import activity code) and the activities agree.

/** A tool call as the model asked for it; `arguments` is the model's raw JSON text. */
export const chatToolCallSchema = z.object({
  id: z.string(),
  name: z.string(),
  arguments: z.string(),
});
export type ChatToolCall = z.infer<typeof chatToolCallSchema>;

/** The subset of the OpenAI chat message shapes the loop produces. */
export const chatMessageSchema = z.discriminatedUnion('role', [
  z.object({ role: z.literal('system'), content: z.string() }),
  z.object({ role: z.literal('user'), content: z.string() }),
  z.object({ role: z.literal('assistant'), content: z.string().nullable(), toolCalls: z.array(chatToolCallSchema).optional() }),
  z.object({ role: z.literal('tool'), toolCallId: z.string(), content: z.string() }),
]);
export type ChatMessage = z.infer<typeof chatMessageSchema>;

/** Argument of the callModel activity: one chat-completions request. */
export const modelCallRequestSchema = z.object({
  agentId: z.string(),
  /** The run's project: the worker reads only the secrets granted to it. */
  project: z.string(),
  model: z.string(),
  baseUrl: z.string().optional(),
  apiKeyEnv: z.string().optional(),
  temperature: z.number().optional(),
  messages: z.array(chatMessageSchema),
  /** Names of registered tools offered to the model; the activity turns them into JSON schemas. */
  tools: z.array(z.string()),
});
export type ModelCallRequest = z.infer<typeof modelCallRequestSchema>;

/** What callModel returns: the assistant's message. */
export const modelReplySchema = z.object({
  content: z.string().nullable(),
  toolCalls: z.array(chatToolCallSchema),
  finishReason: z.string().nullable(),
});
export type ModelReply = z.infer<typeof modelReplySchema>;

/** Argument of the callTool activity. */
export const toolCallRequestSchema = z.object({
  agentId: z.string(),
  runId: z.string(),
  step: z.string(),
  name: z.string(),
  arguments: z.unknown(),
});
export type ToolCallRequest = z.infer<typeof toolCallRequestSchema>;

/** A tool's answer as the model will read it; `isError` marks refusals and bad arguments. */
export const toolResultSchema = z.object({
  content: z.string(),
  isError: z.boolean(),
});
export type ToolResult = z.infer<typeof toolResultSchema>;

export const toolApprovalOptions = ['approve', 'reject'] as const;

/**
 * Resume input for a `tool_approval` pause: one of the options, or an approval carrying edited
 * arguments (the operator fixes what the model proposed before the tool runs).
 */
export const toolApprovalResumeSchema = z.union([
  z.enum(toolApprovalOptions),
  z.object({ decision: z.enum(toolApprovalOptions), arguments: z.unknown().optional() }).strict(),
]);
export type ToolApprovalResume = z.infer<typeof toolApprovalResumeSchema>;

/** The operator's answer to a tool_approval pause, as the llm agent loop consumes it. */
export interface ToolApprovalDecision {
  approved: boolean;
  /** Present when the operator replaced the model's arguments. */
  arguments?: unknown;
}
