// The approval cycle written as tightly as Temporal allows: classify and route are local
// activities, the pause is a condition, no search attributes, no store, no version counter.
// The yardstick Baton is measured against, not a product.
import { allHandlersFinished, condition, proxyLocalActivities, setHandler } from '@temporalio/workflow';
import type { floorActivities } from './activities.ts';
import { type FloorLead, type FloorView, resumeUpdate, settleUpdate } from './messages.ts';

const { classify, route } = proxyLocalActivities<typeof floorActivities>({ startToCloseTimeout: '10s' });

const approvalOptions = ['approve', 'reject', 'escalate'];

export async function approvalCycle(lead: FloorLead): Promise<FloorView> {
  const view: FloorView = { status: 'running', pending: null, result: null };
  // An object, not a `let`: the Update handler sets it, which control-flow narrowing cannot see.
  const answered: { input: string | null } = { input: null };
  const settled = () => view.status !== 'running';
  setHandler(settleUpdate, async () => {
    await condition(settled);
    return view;
  });
  setHandler(resumeUpdate, async (input: string) => {
    answered.input = input;
    view.status = 'running';
    view.pending = null;
    await condition(settled);
    return view;
  }, {
    // Rejected without a trace in history, as Baton's validator does.
    validator: (input: string) => {
      if (view.status !== 'paused') throw new Error(`not paused (${view.status})`);
      if (!approvalOptions.includes(input)) throw new Error(`"${input}" is not one of ${approvalOptions.join(', ')}`);
    },
  });

  const { category } = await classify(lead.state);
  view.status = 'paused';
  view.pending = { step: 'approval', options: approvalOptions };
  const answer = await waitForAnswer(answered);
  // lead-router ends the run on "reject"; otherwise route.
  if (answer !== 'reject') view.result = await route({ state: lead.state, category, answer });
  view.status = 'completed';
  // The resume Update answers with the final view before the workflow closes.
  await condition(allHandlersFinished);
  return view;
}

async function waitForAnswer(answered: { input: string | null }): Promise<string> {
  await condition(() => answered.input !== null);
  return answered.input as string;
}
