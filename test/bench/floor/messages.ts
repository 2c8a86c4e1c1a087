// The temporal-floor cycle's messages, shared by its workflow (bundled into the worker's sandbox)
// and the bench's client: no imports beyond the SDK's message definitions.
import { defineUpdate } from '@temporalio/workflow';

export const FLOOR_WORKFLOW = 'approvalCycle';

export interface FloorLead {
  task: string;
  state: Record<string, unknown>;
}

export interface FloorView {
  status: 'running' | 'paused' | 'completed';
  /** Set while paused: the step waiting and the answers it takes. */
  pending: { step: string; options: string[] } | null;
  result: { routedTo: string; leadId: string | null; category: string | null } | null;
}

/** Answers once the run is paused or completed: the start leg is update-with-start of this. */
export const settleUpdate = defineUpdate<FloorView, []>('settle');

/** Answers the pending approval and returns at the next settle (here: completed), in one Update. */
export const resumeUpdate = defineUpdate<FloorView, [answer: string]>('resume');
