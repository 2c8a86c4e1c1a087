// The v1 API's own example: POST /v1/agents/lead-router/workflow classifies a lead, asks a human
// to confirm the sales team, then routes it. Loaded at start; its agents run offline.
import type { AgentContext } from '../domain/agent.ts';
import type { ExampleDefinition } from '../domain/definition-input.ts';
import type { FunctionAgentSpec } from '../agents/agent-registry.ts';

export type LeadCategory = 'enterprise' | 'mid-market' | 'smb';

export const leadRouterExample: ExampleDefinition = {
  id: 'wf-lead-router',
  name: 'Lead router',
  description: 'Classifies a lead, asks a human to confirm the sales team, then routes the lead to it.',
  agent: 'lead-router',
  steps: [
    { name: 'classify', stepOrder: 1, type: 'agent', agentId: 'lead-classifier', action: 'Classify the lead by company size and email domain.' },
    {
      name: 'approval',
      stepOrder: 2,
      type: 'approval',
      message: 'Route to {{steps.classify.output.category}} sales team?',
      options: ['approve', 'reject', 'escalate'],
      next: { reject: 'end' },
    },
    { name: 'route', stepOrder: 3, type: 'agent', agentId: 'lead-assigner', action: 'Assign the lead to the confirmed sales team.' },
  ],
};

const freeMailDomains = new Set(['gmail.com', 'googlemail.com', 'yahoo.com', 'hotmail.com', 'outlook.com', 'icloud.com', 'proton.me', 'aol.com']);

/**
 * Deterministic rules over `state`: an explicit `category` wins; then company size (`employees`
 * ≥ 1000 enterprise, ≥ 100 mid-market, else smb); then a free-mail `email` means smb. A lead with
 * no size signal (the specification's `{leadId: "lead-123"}`) goes to enterprise sales, who qualify unknown leads.
 */
export function classifyLead(state: Record<string, unknown>): LeadCategory {
  const explicit = state.category;
  if (explicit === 'enterprise' || explicit === 'mid-market' || explicit === 'smb') return explicit;
  const employees = typeof state.employees === 'number' ? state.employees : Number.NaN;
  if (Number.isFinite(employees)) return employees >= 1000 ? 'enterprise' : employees >= 100 ? 'mid-market' : 'smb';
  const domain = typeof state.email === 'string' ? state.email.split('@')[1]?.toLowerCase() : undefined;
  if (domain && freeMailDomains.has(domain)) return 'smb';
  return 'enterprise';
}

/** The team for a category, or sales leadership when the approver escalated. */
export function assignLead(context: Pick<AgentContext, 'input' | 'state' | 'steps'>): { routedTo: string; leadId: string | null; category: string | null } {
  const classified = context.steps.classify?.output as { category?: string } | undefined;
  const category = classified?.category ?? null;
  const leadId = typeof context.state.leadId === 'string' ? context.state.leadId : null;
  const routedTo = context.input === 'escalate' || category === null ? 'sales-leadership' : `${category}-sales`;
  return { routedTo, leadId, category };
}

export const leadRouterAgents: Record<string, FunctionAgentSpec> = {
  'lead-classifier': {
    kind: 'function',
    local: true,
    description: 'Example (lead-router): classifies a lead as enterprise, mid-market or smb from its state.',
    run: async (context) => ({ category: classifyLead(context.state) }),
  },
  'lead-assigner': {
    kind: 'function',
    local: true,
    description: 'Example (lead-router): assigns the lead to the confirmed sales team.',
    run: async (context) => assignLead(context),
  },
};
