// The "agent" both peers run: deterministic and cheap, so the benchmark measures the engines,
// not the agent. Baton runs its own lead-router example agent; keep the work comparable (a few
// string checks, no I/O).

export type LeadCategory = 'sales' | 'support' | 'other';

export function classifyLead(task: string): { category: LeadCategory } {
  const text = task.toLowerCase();
  if (/(quote|pricing|buy|seat|demo)/.test(text)) return { category: 'sales' };
  if (/(bug|error|broken|help)/.test(text)) return { category: 'support' };
  return { category: 'other' };
}

export function routeLead(category: LeadCategory): { queue: string } {
  return { queue: `${category}-team` };
}
