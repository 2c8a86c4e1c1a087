// What the Agent Manager contract tests share: Baton as `baton start` composes it (baton-stack.ts)
// with two projects, where the runtime stores the shipped llm agents `web_agent` and
// `procurator_assistant`; they call the fake model (real HTTP on 127.0.0.1) as OPENAI_BASE_URL.
// The fake answers deterministically from the prompt it receives, so a test can follow each
// step's output into the next step's input.
import { setTimeout } from 'node:timers/promises';
import type { FunctionAgentSpec } from '../../src/agents/agent-registry.ts';
import type { AgentContext } from '../../src/domain/agent.ts';
import type { ErrorBody } from '../../src/domain/errors.ts';
import { techNewsBriefingAgents } from '../../src/examples/index.ts';
import { startBatonStack, testMaxBodyBytes, type BatonStack, type BatonStackOptions } from '../integration/baton-stack.ts';
import { uniqueProject } from '../integration/engine-harness.ts';
import { startOpenAiFake, type FakeChatRequest, type FakeReply, type OpenAiFake } from '../fakes/openai-fake-server.ts';

export { testMaxBodyBytes };

/** What the fake model answers web_agent for a topic. */
export const searchResults = (topic: string) => `Search results for "${topic}": AI reads scans; AI designs molecules; AI triages patients.`;

const webAgent = techNewsBriefingAgents.find((agent) => agent.id === 'web_agent');
const webAgentSystem = webAgent?.kind === 'llm' ? webAgent.config.system : undefined;

/**
 * The model behind the specification's agents: web_agent (recognised by its system prompt) answers
 * searchResults(input, or the task when there is none); any other agent answers
 * "<instruction> <- <input>". It reads the instruction, task and input from the step's prompt.
 */
export function newsroomModel(request: FakeChatRequest): FakeReply {
  const { messages } = request.body;
  const prompt = messages.at(-1)?.content ?? '';
  const instruction = prompt.split('\n\nTask: ')[0] ?? '';
  const task = /\n\nTask: ([^\n]*)/.exec(prompt)?.[1] ?? '';
  const inputAt = prompt.indexOf('\n\nInput:\n');
  const input = inputAt < 0 ? '(none)' : prompt.slice(inputAt + '\n\nInput:\n'.length);
  if (webAgentSystem !== undefined && messages[0]?.content === webAgentSystem) {
    return { content: searchResults(input === '(none)' ? task : input) };
  }
  return { content: `${instruction} <- ${input}` };
}

/** Test-only function agents, for behaviours no shipped agent has. */
export const testAgents: Record<string, FunctionAgentSpec> = {
  // Holds its step open for `input` ms (or until cancelled), so a test can find a run `running`.
  sleeper: { kind: 'function', run: async (ctx, signal) => { await setTimeout(Number(ctx.input) || 0, undefined, { signal }); return 'slept'; } },
  // Answers with exactly what the engine handed it of the session, for the session tests.
  session_probe: { kind: 'function', run: async (ctx: AgentContext) => ({ sessionId: ctx.sessionId, saw: ctx.session.map(({ runId, step, agentId, input, output }) => ({ runId, step, agentId, input, output })) }) },
};

export interface CallOptions {
  body?: unknown;
  /** Sent as is instead of JSON.stringify(body). */
  raw?: string;
  /** Whose key to send (default projects[0]); null sends none. */
  project?: string | null;
  headers?: Record<string, string>;
}

export interface AgentManagerStack extends BatonStack {
  /** Two projects, each with its API key `key-<project>`. */
  projects: [string, string];
  /** The model web_agent and procurator_assistant call. */
  model: OpenAiFake;
  /** fetch against the API with the project's key; JSON bodies in and out. */
  call<T = ErrorBody>(method: string, path: string, options?: CallOptions): Promise<{ status: number; json: T }>;
}

export async function startAgentManagerStack(name: string, options: Pick<BatonStackOptions, 'database'> = {}): Promise<AgentManagerStack> {
  const model = await startOpenAiFake(newsroomModel);
  const projects: [string, string] = [uniqueProject(`${name}-a`), uniqueProject(`${name}-b`)];
  let stack: BatonStack;
  try {
    stack = await startBatonStack({ name, projects, agents: testAgents, env: { OPENAI_BASE_URL: model.baseUrl }, ...options });
  } catch (error) {
    await model.close();
    throw error;
  }
  return {
    ...stack,
    projects,
    model,
    async call<T>(method: string, path: string, options: CallOptions = {}) {
      const who = options.project === undefined ? projects[0] : options.project;
      const headers: Record<string, string> = { ...(who === null ? {} : { authorization: `Bearer ${stack.keyOf(who)}` }), ...options.headers };
      let body: string | undefined;
      if (options.raw !== undefined || options.body !== undefined) {
        headers['content-type'] ??= 'application/json';
        body = options.raw ?? JSON.stringify(options.body);
      }
      const response = await fetch(`${stack.url}${path}`, { method, headers, body });
      const text = await response.text();
      return { status: response.status, json: (text ? JSON.parse(text) : undefined) as T };
    },
    async close() {
      await stack.close();
      await model.close();
    },
  };
}
