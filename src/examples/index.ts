// Built-in examples: definitions the store loads at start (under stable ids) and the function
// agents they need, which the worker registers.
import type { AgentRegistry } from '../agents/agent-registry.ts';
import type { Definition } from '../domain/definition.ts';
import type { ExampleDefinition } from '../domain/definition-input.ts';
import type { Step } from '../domain/step.ts';
import type { AgentCreate } from '../domain/agent.ts';
import { leadRouterAgents, leadRouterExample } from './lead-router.ts';
import { techNewsBriefingAgents, techNewsBriefingExample } from './tech-news-briefing.ts';

export { leadRouterAgents, leadRouterExample } from './lead-router.ts';
export { techNewsBriefingAgents, techNewsBriefingExample } from './tech-news-briefing.ts';

export const exampleDefinitions: ExampleDefinition[] = [leadRouterExample, techNewsBriefingExample];
/** Agents the examples keep in the store (llm and http agents are per project). */
export const exampleStoredAgents: AgentCreate[] = [...techNewsBriefingAgents];
export const exampleAgents = { ...leadRouterAgents };

export function registerExampleAgents(registry: AgentRegistry): AgentRegistry {
  for (const [id, agent] of Object.entries(exampleAgents)) registry.register(id, agent);
  return registry;
}

/**
 * An example as a full Definition, for running it without the store (tests, embedding): step ids
 * and names follow the store's defaults, timestamps are the given time.
 */
export function exampleAsDefinition(example: ExampleDefinition, project: string, at = new Date(0)): Definition {
  const steps = example.steps.map((input, index): Step => {
    const stepOrder = input.stepOrder ?? index + 1;
    const common = { id: `st-${example.id.slice(3)}-${stepOrder}`, name: input.name ?? `step-${stepOrder}`, stepOrder, retry: input.retry, timeout: input.timeout, pauseTimeout: input.pauseTimeout, next: input.next };
    if (input.type === 'approval') return { ...common, type: 'approval', message: input.message, options: input.options };
    if (input.type === 'input') return { ...common, type: 'input', message: input.message, schema: input.schema };
    return { ...common, type: 'agent', agentId: input.agentId, action: input.action, requireApproval: input.requireApproval ?? false };
  });
  return {
    id: example.id,
    project,
    name: example.name,
    description: example.description ?? null,
    agent: example.agent ?? null,
    steps,
    pauseTimeout: example.pauseTimeout ?? null,
    version: 1,
    createdAt: at.toISOString(),
    updatedAt: at.toISOString(),
  };
}
