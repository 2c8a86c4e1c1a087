import { ApplicationFailure } from '@temporalio/common';
import OpenAI, { APIConnectionError, APIConnectionTimeoutError, APIError, APIUserAbortError } from 'openai';
import type { ChatCompletionMessageParam, ChatCompletionTool } from 'openai/resources/chat/completions';
import type { ChatMessage, ModelCallRequest, ModelReply } from '../../domain/llm.ts';
import { egressFailure, egressRefusal, shownUrl, type EgressPolicy } from '../../security/egress-policy.ts';
import type { ModelEndpoint } from './model-endpoint.ts';

export interface ChatCompletionOptions {
  endpoint: ModelEndpoint;
  request: ModelCallRequest;
  tools: ChatCompletionTool[];
  timeoutMs: number;
  signal: AbortSignal;
  /** Every request to the endpoint goes through it. */
  egress: EgressPolicy;
}

/**
 * One chat-completions call. The openai client's own retries are off: Temporal retries the
 * activity, so every attempt is visible in the run's history and bounded by its retry policy.
 */
export async function requestChatCompletion(options: ChatCompletionOptions): Promise<ModelReply> {
  const { endpoint, request } = options;
  const client = new OpenAI({
    baseURL: endpoint.baseURL,
    apiKey: endpoint.apiKey,
    // The worker's process.env must not leak in: settings come from the agent and deps.env only.
    adminAPIKey: null,
    organization: null,
    project: null,
    webhookSecret: null,
    timeout: options.timeoutMs,
    maxRetries: 0,
    fetch: (input, init) => options.egress.fetch(input as string | URL, init),
  });
  try {
    const completion = await client.chat.completions.create({
      model: request.model,
      messages: request.messages.map(toOpenAiMessage),
      ...(options.tools.length > 0 ? { tools: options.tools } : {}),
      ...(request.temperature !== undefined ? { temperature: request.temperature } : {}),
    }, { signal: options.signal });
    const choice = completion.choices?.[0];
    if (!choice?.message) throw badResponse(request, endpoint, 'the answer has no choices[0].message');
    const toolCalls = (choice.message.tool_calls ?? []).flatMap((call) =>
      call.type === 'function' ? [{ id: call.id, name: call.function.name, arguments: call.function.arguments ?? '' }] : []);
    return { content: choice.message.content ?? null, toolCalls, finishReason: choice.finish_reason ?? null };
  } catch (error) {
    throw toActivityFailure(error, request, endpoint);
  }
}

function toOpenAiMessage(message: ChatMessage): ChatCompletionMessageParam {
  switch (message.role) {
    case 'system':
    case 'user':
      return { role: message.role, content: message.content };
    case 'tool':
      return { role: 'tool', tool_call_id: message.toolCallId, content: message.content };
    case 'assistant':
      return {
        role: 'assistant',
        content: message.content,
        ...(message.toolCalls?.length
          ? { tool_calls: message.toolCalls.map((call) => ({ id: call.id, type: 'function' as const, function: { name: call.name, arguments: call.arguments } })) }
          : {}),
      };
  }
}

/**
 * Unreachable endpoints, timeouts, 429 and 5xx are retryable (`model_unavailable`); any other
 * HTTP error is the request's fault (bad model name, bad key) and fails the step at once.
 */
function toActivityFailure(error: unknown, request: ModelCallRequest, endpoint: ModelEndpoint): unknown {
  if (error instanceof ApplicationFailure || error instanceof APIUserAbortError) return error;
  const where = `model endpoint ${shownUrl(endpoint.baseURL)} (llm agent "${request.agentId}", model "${request.model}")`;
  const refusal = egressRefusal(error);
  if (refusal) return egressFailure(refusal, where);
  if (error instanceof APIConnectionTimeoutError) {
    return ApplicationFailure.create({ type: 'model_unavailable', message: `${where} did not answer in time`, cause: error });
  }
  if (error instanceof APIConnectionError) {
    const reason = connectionReason(error);
    return ApplicationFailure.create({ type: 'model_unavailable', message: `${where} is unreachable${reason ? `: ${reason}` : ''}`, cause: error });
  }
  if (error instanceof APIError && typeof error.status === 'number') {
    const status = Number(error.status);
    // The client's message starts with the status again ("404 The model…"); say it once.
    const detail = String((error as Error).message).replace(/^\d{3}\s+/, '');
    const retryable = status === 408 || status === 409 || status === 429 || status >= 500;
    const hint = status === 401 || status === 403 ? ` (check the API key in ${endpoint.apiKeyEnv}${endpoint.hasKey ? '' : ', which is not set'})` : '';
    return ApplicationFailure.create({
      type: retryable ? 'model_unavailable' : 'model_rejected',
      nonRetryable: !retryable,
      message: `${where} answered ${status}: ${detail}${hint}`.slice(0, 2_000),
      details: [{ status }],
    });
  }
  return error;
}

function connectionReason(error: Error): string | undefined {
  // Node's fetch reports "fetch failed" with the socket error (ECONNREFUSED, ENOTFOUND) as cause.
  let cause: unknown = error.cause;
  while (cause instanceof Error) {
    const code = (cause as { code?: unknown }).code;
    if (typeof code === 'string') return `${code} ${cause.message}`.trim();
    cause = cause.cause;
  }
  return error.cause instanceof Error ? error.cause.message : undefined;
}

function badResponse(request: ModelCallRequest, endpoint: ModelEndpoint, what: string): ApplicationFailure {
  return ApplicationFailure.create({
    type: 'model_bad_response',
    message: `model endpoint ${endpoint.baseURL} (llm agent "${request.agentId}"): ${what}`,
  });
}
