// classify and route for temporal-floor: the very rules lead-router's function agents run, and no
// more (no agent registry, no session, no store), so the floor does the same work per cycle.
import { assignLead, classifyLead } from '../../../src/examples/lead-router.ts';

export const floorActivities = {
  async classify(state: Record<string, unknown>): Promise<{ category: string }> {
    return { category: classifyLead(state) };
  },
  async route(request: { state: Record<string, unknown>; category: string; answer: string }) {
    return assignLead({ input: request.answer, state: request.state, steps: { classify: { output: { category: request.category } } } });
  },
};
