import type { z } from 'zod';
import type { Agent, AgentContext, agentKindSchema, llmAgentConfigSchema } from '../domain/agent.ts';
import { slugSchema } from '../domain/ids.ts';

/** How an agent answers one step; `signal` aborts when the step's activity is cancelled or times out. */
export type AgentRunner = (context: AgentContext, signal: AbortSignal) => Promise<unknown>;

/** A TypeScript agent registered in the worker (kind `function`). */
export interface FunctionAgentSpec {
  kind: 'function';
  description?: string;
  run: AgentRunner;
  /**
   * True for quick in-process code (the built-in agents): the step runs as a local activity, inside
   * the workflow task that reached it, saving an activity task and a workflow task. Leave it unset
   * for an agent that may take seconds (it waits on I/O): while a local activity runs, the run takes
   * no Update or Query, a start-and-wait's waitMs cannot end, and a stopping worker cannot hand the
   * step to another one.
   */
  local?: boolean;
}

export type LlmAgentConfig = z.infer<typeof llmAgentConfigSchema>;
type AgentKind = z.infer<typeof agentKindSchema>;

/**
 * What an agent id resolves to for one step. Function and http agents run inside the agent
 * activity; an llm agent's tool loop runs in the workflow (so each model and tool call is a
 * recorded activity), so it resolves to its config instead of a runner.
 */
export type ResolvedAgent =
  | { id: string; kind: Exclude<AgentKind, 'llm'>; description: string | null; run: AgentRunner }
  | { id: string; kind: 'llm'; description: string | null; config: LlmAgentConfig };

/** Finds agents the worker does not hold in memory, e.g. the store's http and llm agents of a project. */
export type AgentLookup = (project: string, agentId: string) => Promise<ResolvedAgent | undefined>;

export interface AgentRegistry {
  /** Registers a worker-local agent; ids are slugs and unique. */
  register(id: string, agent: FunctionAgentSpec): AgentRegistry;
  /** A registered (worker-local) agent. */
  get(id: string): ResolvedAgent | undefined;
  /** Whether a registered function agent runs as a local activity (its spec says `local: true`). */
  runsLocally(id: string): boolean;
  /** Registered agents in the domain's Agent shape (function agents are listed read-only). */
  list(): Agent[];
  /** Registered agents first (they serve every project), then the lookup for the project's own. */
  resolve(project: string, agentId: string): Promise<ResolvedAgent | undefined>;
}

export function createAgentRegistry(options: { lookup?: AgentLookup } = {}): AgentRegistry {
  const agents = new Map<string, ResolvedAgent & { kind: 'function' }>();
  const local = new Set<string>();
  const registry: AgentRegistry = {
    register(id, agent) {
      const slug = slugSchema.safeParse(id);
      if (!slug.success) throw new TypeError(`agent id "${id}" is not a slug: ${slug.error.issues[0]?.message ?? ''}`);
      if (agents.has(id)) throw new Error(`agent "${id}" is already registered`);
      if (agent.kind !== 'function' || typeof agent.run !== 'function') throw new TypeError(`agent "${id}" must be {kind: 'function', run}`);
      agents.set(id, { id, kind: 'function', description: agent.description ?? null, run: agent.run });
      if (agent.local === true) local.add(id);
      return registry;
    },
    get: (id) => agents.get(id),
    runsLocally: (id) => local.has(id),
    list: () => [...agents.values()].map((agent) => ({ id: agent.id, kind: 'function', description: agent.description, config: {} })),
    async resolve(project, agentId) {
      return agents.get(agentId) ?? (await options.lookup?.(project, agentId));
    },
  };
  return registry;
}
