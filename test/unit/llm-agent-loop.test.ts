import { ApplicationFailure } from '@temporalio/common';
import { describe, expect, it } from 'vitest';
import type { AgentContext } from '../../src/domain/agent.ts';
import type { ModelCallRequest, ModelReply, ToolCallRequest, ToolResult } from '../../src/domain/llm.ts';
import {
  buildInitialMessages, parseFinalAnswer, runLlmAgentLoop, toolApprovalDecision,
  type LlmAgentConfig, type LlmAgentLoopDeps, type ToolApprovalAction,
} from '../../src/workflows/llm-agent-loop.ts';

// The loop is workflow code with its activities injected; here they are scripted in memory. The
// same loop runs against real activities and a real worker in test/integration/llm-agent-loop.test.ts.

const context: AgentContext = {
  runId: 'wfr_loop', project: 'default', step: 'compute', task: 'Work out the total', state: {},
  input: { items: [2, 3] }, action: 'Add the items.', steps: {}, sessionId: 'ses', session: [],
};

function scripted(replies: ModelReply[], options: { decisions?: Awaited<ReturnType<LlmAgentLoopDeps['askToolApproval']>>[]; toolResult?: (r: ToolCallRequest) => ToolResult } = {}) {
  const modelRequests: ModelCallRequest[] = [];
  const toolRequests: ToolCallRequest[] = [];
  const approvals: ToolApprovalAction[] = [];
  const deps: LlmAgentLoopDeps = {
    callModel: async (request) => {
      modelRequests.push(structuredClone(request));
      const reply = replies.shift();
      if (!reply) throw new Error('no scripted reply');
      return reply;
    },
    callTool: async (request) => {
      toolRequests.push(request);
      return options.toolResult?.(request) ?? { isError: false, content: `result of ${request.name}` };
    },
    askToolApproval: async (action) => {
      approvals.push(action);
      const decision = options.decisions?.shift();
      if (!decision) throw new Error('no scripted decision');
      return decision;
    },
  };
  return { deps, modelRequests, toolRequests, approvals };
}
const answer = (content: string): ModelReply => ({ content, toolCalls: [], finishReason: 'stop' });
const callTools = (...calls: [name: string, args: string][]): ModelReply => ({
  content: null, finishReason: 'tool_calls', toolCalls: calls.map(([name, args], i) => ({ id: `call_${name}_${i}`, name, arguments: args })),
});
const config: LlmAgentConfig = { model: 'm', tools: [{ name: 'calculator' }, { name: 'http_request', requiresApproval: true }] };

describe('runLlmAgentLoop', () => {
  it('answers in one model call when the model calls no tool, offering the configured tools', async () => {
    const { deps, modelRequests } = scripted([answer('The total is 5.')]);
    const result = await runLlmAgentLoop({ agentId: 'adder', config: { ...config, baseUrl: 'http://m/v1', apiKeyEnv: 'K', temperature: 0 }, context }, deps);
    expect(result).toEqual({ output: 'The total is 5.', modelCalls: 1, toolCalls: [] });
    expect(modelRequests[0]).toMatchObject({ agentId: 'adder', model: 'm', baseUrl: 'http://m/v1', apiKeyEnv: 'K', temperature: 0, tools: ['calculator', 'http_request'] });
  });

  it('runs a tool that needs no approval and feeds its result back to the model', async () => {
    const { deps, modelRequests, toolRequests, approvals } = scripted([callTools(['calculator', '{"expression":"2+3"}']), answer('{"total":5}')]);
    const result = await runLlmAgentLoop({ agentId: 'adder', config, context }, deps);
    expect(result).toEqual({ output: { total: 5 }, modelCalls: 2, toolCalls: [{ name: 'calculator', arguments: { expression: '2+3' }, approval: 'auto', isError: false }] });
    expect(approvals).toEqual([]);
    expect(toolRequests).toEqual([{ agentId: 'adder', runId: 'wfr_loop', step: 'compute', name: 'calculator', arguments: { expression: '2+3' } }]);
    expect(modelRequests[1]!.messages.slice(-2)).toEqual([
      { role: 'assistant', content: null, toolCalls: [{ id: 'call_calculator_0', name: 'calculator', arguments: '{"expression":"2+3"}' }] },
      { role: 'tool', toolCallId: 'call_calculator_0', content: 'result of calculator' },
    ]);
  });

  it('asks for approval before a requiresApproval tool and runs it once approved', async () => {
    const { deps, toolRequests, approvals } = scripted([callTools(['http_request', '{"url":"http://x/"}']), answer('done')], { decisions: [{ approved: true }] });
    const result = await runLlmAgentLoop({ agentId: 'fetcher', config, context }, deps);
    expect(approvals).toEqual([{
      step: 'compute', type: 'tool_approval', options: ['approve', 'reject'],
      message: 'Agent "fetcher" wants to call the tool "http_request". Approve or reject the call.',
      tool: { name: 'http_request', arguments: { url: 'http://x/' } },
    }]);
    expect(toolRequests.map((r) => r.arguments)).toEqual([{ url: 'http://x/' }]);
    expect(result.toolCalls).toEqual([{ name: 'http_request', arguments: { url: 'http://x/' }, approval: 'approved', isError: false }]);
  });

  it('runs the tool with arguments the operator edited, and tells the model so', async () => {
    const { deps, toolRequests, modelRequests } = scripted([callTools(['http_request', '{"url":"http://x/"}']), answer('done')], { decisions: [{ approved: true, arguments: { url: 'http://y/' } }] });
    await runLlmAgentLoop({ agentId: 'fetcher', config, context }, deps);
    expect(toolRequests.map((r) => r.arguments)).toEqual([{ url: 'http://y/' }]);
    expect(modelRequests[1]!.messages.at(-1)).toEqual({
      role: 'tool', toolCallId: 'call_http_request_0',
      content: 'Note: the user changed the arguments before approving; the tool ran with {"url":"http://y/"}.\nresult of http_request',
    });
  });

  it('tells the model when the user rejects a call, without running the tool', async () => {
    const { deps, toolRequests, modelRequests } = scripted([callTools(['http_request', '{"url":"http://x/"}']), answer('I could not fetch it.')], { decisions: [{ approved: false }] });
    const result = await runLlmAgentLoop({ agentId: 'fetcher', config, context }, deps);
    expect(toolRequests).toEqual([]);
    expect(modelRequests[1]!.messages.at(-1)).toMatchObject({ role: 'tool', content: expect.stringMatching(/^The user rejected the call to http_request\./) as unknown });
    expect(result).toMatchObject({ output: 'I could not fetch it.', toolCalls: [{ name: 'http_request', approval: 'rejected' }] });
  });

  it('answers unknown tools and unparseable arguments with an error the model reads, running nothing', async () => {
    const { deps, toolRequests, approvals, modelRequests } = scripted([callTools(['shell', '{}'], ['http_request', '{not json']), answer('ok')]);
    await runLlmAgentLoop({ agentId: 'a', config, context }, deps);
    expect([toolRequests, approvals]).toEqual([[], []]);
    expect(modelRequests[1]!.messages.slice(-2).map((m) => m.content)).toEqual([
      'Error: tool "shell" is not available; available tools: calculator, http_request.',
      'Error: the arguments for http_request are not valid JSON: {not json',
    ]);
  });

  it('handles several tool calls of one reply in order, with empty arguments as {}', async () => {
    const { deps, toolRequests } = scripted([callTools(['calculator', ''], ['calculator', '{"expression":"1"}']), answer('ok')]);
    await runLlmAgentLoop({ agentId: 'a', config, context }, deps);
    expect(toolRequests.map((r) => r.arguments)).toEqual([{}, { expression: '1' }]);
  });

  it('fails non-retryably when the model is still calling tools after maxTurns calls', async () => {
    const { deps, modelRequests } = scripted([callTools(['calculator', '{}']), callTools(['calculator', '{}']), callTools(['calculator', '{}'])]);
    const error = await runLlmAgentLoop({ agentId: 'loopy', config: { ...config, maxTurns: 2 }, context }, deps).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(ApplicationFailure);
    expect(error).toMatchObject({ type: 'llm_max_turns', nonRetryable: true, message: 'llm agent "loopy" gave no final answer within 2 model calls (config.maxTurns); it kept calling tools' });
    expect(modelRequests).toHaveLength(2);
  });

  it('allows 8 model calls by default', async () => {
    const replies = [...Array.from({ length: 7 }, () => callTools(['calculator', '{}'])), answer('finally')];
    const { deps } = scripted(replies);
    await expect(runLlmAgentLoop({ agentId: 'a', config, context }, deps)).resolves.toMatchObject({ output: 'finally', modelCalls: 8 });
  });
});

describe('buildInitialMessages', () => {
  it('puts the system prompt, the session transcript and the step instruction in order', () => {
    const messages = buildInitialMessages({ model: 'm', system: 'You are terse.' }, {
      ...context,
      state: { leadId: 'lead-1' },
      session: [
        { runId: 'wfr_a', step: 'search', agentId: 'web', input: 'ai news', output: { hits: 3 }, at: '2026-01-01T00:00:00.000Z' },
        { runId: 'wfr_a', step: 'approve', agentId: null, input: null, output: 'approve', at: '2026-01-01T00:00:01.000Z' },
      ],
    });
    expect(messages).toEqual([
      { role: 'system', content: 'You are terse.' },
      { role: 'user', content: 'Earlier step "search" (agent web) received:\nai news' },
      { role: 'assistant', content: '{\n  "hits": 3\n}' },
      { role: 'user', content: 'Earlier step "approve" received:\n(none)' },
      { role: 'assistant', content: 'approve' },
      { role: 'user', content: 'Add the items.\n\nTask: Work out the total\n\nState:\n{\n  "leadId": "lead-1"\n}\n\nInput:\n{\n  "items": [\n    2,\n    3\n  ]\n}' },
    ]);
    expect(buildInitialMessages({ model: 'm' }, { ...context, input: 'text in' })).toEqual([{ role: 'user', content: 'Add the items.\n\nTask: Work out the total\n\nInput:\ntext in' }]);
  });
});

describe('parseFinalAnswer', () => {
  it.each([
    ['{"a":1}', { a: 1 }],
    ['  [1, 2]\n', [1, 2]],
    ['```json\n{"a":1}\n```', { a: 1 }],
    ['```\n[true]\n```', [true]],
    ['plain text', 'plain text'],
    ['42', '42'],
    ['"quoted"', '"quoted"'],
    ['{not json', '{not json'],
    ['', ''],
  ])('reads %j as %j', (content, output) => {
    expect(parseFinalAnswer(content)).toEqual(output);
  });
  it('reads a missing content as null', () => {
    expect(parseFinalAnswer(null)).toBeNull();
  });
});

describe('toolApprovalDecision', () => {
  it('reads options and decision objects', () => {
    expect(toolApprovalDecision('approve')).toEqual({ approved: true });
    expect(toolApprovalDecision('reject')).toEqual({ approved: false });
    expect(toolApprovalDecision({ decision: 'approve' })).toEqual({ approved: true });
    expect(toolApprovalDecision({ decision: 'approve', arguments: { x: 1 } })).toEqual({ approved: true, arguments: { x: 1 } });
    expect(toolApprovalDecision({ decision: 'reject', arguments: { x: 1 } })).toEqual({ approved: false });
  });
});
