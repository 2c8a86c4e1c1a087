import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';

// A stand-in for the outside LLM API, the one fake the test rules allow. It speaks real HTTP in
// the chat-completions wire format, so the product code (the openai client) cannot tell it apart.

/** One scripted answer: text, tool calls, or an HTTP error. */
export type FakeReply =
  | { content: string }
  | { toolCalls: { name: string; arguments: unknown; id?: string }[]; content?: string | null }
  | { status: number; message?: string };

export interface FakeChatRequest {
  body: {
    model: string;
    messages: { role: string; content?: string | null; tool_call_id?: string; tool_calls?: unknown[] }[];
    tools?: { type: string; function: { name: string; description?: string; parameters?: unknown } }[];
    temperature?: number;
    [key: string]: unknown;
  };
  authorization: string | undefined;
}

/** A queue of replies taken in order, or a function of the request (and its 0-based index). */
export type FakeScript = FakeReply[] | ((request: FakeChatRequest, index: number) => FakeReply | Promise<FakeReply>);

export interface OpenAiFake {
  /** Use as OPENAI_BASE_URL or an agent's baseUrl. */
  baseUrl: string;
  /** Chat-completions requests received so far. */
  readonly calls: number;
  readonly requests: readonly FakeChatRequest[];
  enqueue(...replies: FakeReply[]): void;
  close(): Promise<void>;
}

export async function startOpenAiFake(script: FakeScript = []): Promise<OpenAiFake> {
  const queue = Array.isArray(script) ? [...script] : [];
  const requests: FakeChatRequest[] = [];
  let toolCallCounter = 0;

  const answer = async (req: IncomingMessage, res: ServerResponse): Promise<void> => {
    if (req.method !== 'POST' || req.url?.replace(/\?.*$/, '') !== '/v1/chat/completions') {
      return sendJson(res, 404, { error: { message: `no route ${req.method} ${req.url}`, type: 'invalid_request_error' } });
    }
    const chunks: Buffer[] = [];
    for await (const chunk of req) chunks.push(chunk as Buffer);
    const request: FakeChatRequest = { body: JSON.parse(Buffer.concat(chunks).toString('utf8')) as FakeChatRequest['body'], authorization: req.headers.authorization };
    const index = requests.length;
    requests.push(request);
    const reply = Array.isArray(script) ? queue.shift() : await script(request, index);
    if (!reply) return sendJson(res, 500, { error: { message: `fake has no scripted reply for request ${index + 1}`, type: 'server_error' } });
    if ('status' in reply) return sendJson(res, reply.status, { error: { message: reply.message ?? `scripted ${reply.status}`, type: 'fake_error' } });
    const toolCalls = 'toolCalls' in reply
      ? reply.toolCalls.map((call) => ({
          id: call.id ?? `call_${++toolCallCounter}`,
          type: 'function',
          function: { name: call.name, arguments: typeof call.arguments === 'string' ? call.arguments : JSON.stringify(call.arguments) },
        }))
      : undefined;
    sendJson(res, 200, {
      id: `chatcmpl-fake-${index + 1}`,
      object: 'chat.completion',
      created: Math.floor(Date.now() / 1000),
      model: request.body.model,
      choices: [{
        index: 0,
        message: { role: 'assistant', content: 'content' in reply ? reply.content ?? null : null, refusal: null, ...(toolCalls ? { tool_calls: toolCalls } : {}) },
        finish_reason: toolCalls ? 'tool_calls' : 'stop',
        logprobs: null,
      }],
      usage: { prompt_tokens: 10, completion_tokens: 5, total_tokens: 15 },
    });
  };

  const server = createServer((req, res) => {
    answer(req, res).catch((error: unknown) => sendJson(res, 500, { error: { message: String(error), type: 'server_error' } }));
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  return {
    baseUrl: `http://127.0.0.1:${port}/v1`,
    get calls() {
      return requests.length;
    },
    requests,
    enqueue: (...replies) => {
      if (!Array.isArray(script)) throw new Error('enqueue needs a queue script, not a function script');
      queue.push(...replies);
    },
    close: () => new Promise<void>((resolve, reject) => {
      server.closeAllConnections();
      server.close((error) => (error ? reject(error) : resolve()));
    }),
  };
}

function sendJson(res: ServerResponse, status: number, body: unknown): void {
  res.writeHead(status, { 'content-type': 'application/json' }).end(JSON.stringify(body));
}
