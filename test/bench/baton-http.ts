// The approval cycle through Baton's v1 HTTP API, as a service calling it would run it:
// POST /v1/agents/lead-router/workflow (answers once paused), then
// POST /v1/workflow-runs/{runId}/resume (answers once completed).
import { type ApprovalLegs, benchLead, benchLeadState, benchRoutedTo, type Contender, timedCycle } from './contender.ts';
import type { BatonProcess } from './harness/baton-process.ts';
import { startBatonDeployment } from './harness/baton-stack.ts';
import { postJson } from './http-json.ts';

/** What the resume leg needs from the start leg. */
export interface PausedRun {
  runId: string;
  step: string;
}

interface V1RunResponse {
  run_id: string;
  output: {
    status: string;
    result: unknown;
    pendingAction: { step: string; type: string; options?: string[] } | null;
  };
}

/** `diagnose` adds what the API process printed to a failed request's error. */
export function createBatonHttpContender(apiUrl: string, name = 'baton-http', diagnose: () => string = () => '', apiKey?: string): Contender & { legs: ApprovalLegs<PausedRun> } {
  const post = async (url: string, body: unknown) => {
    try {
      return await postJson<V1RunResponse>(url, body, apiKey);
    } catch (error) {
      const details = diagnose();
      throw details ? new Error(`${(error as Error).message}\n--- API process ---\n${details}`, { cause: error }) : error;
    }
  };
  const legs: ApprovalLegs<PausedRun> = {
    async start() {
      const started = await post(`${apiUrl}/v1/agents/lead-router/workflow`, {
        input: { task: benchLead, state: benchLeadState },
      });
      const pending = started.output.pendingAction;
      if (started.output.status !== 'paused' || pending?.type !== 'confirmation' || !pending.options?.includes('approve')) {
        throw new Error(`baton run ${started.run_id} did not pause for approval: ${JSON.stringify(started.output)}`);
      }
      return { runId: started.run_id, step: pending.step };
    },
    async resume(paused) {
      const resumed = await post(`${apiUrl}/v1/workflow-runs/${encodeURIComponent(paused.runId)}/resume`, {
        input: { resume: { step: paused.step, input: 'approve' } },
      });
      if (resumed.output.status !== 'completed' || (resumed.output.result as { routedTo?: string } | null)?.routedTo !== benchRoutedTo) {
        throw new Error(`baton run ${paused.runId} did not complete: ${JSON.stringify(resumed.output)}`);
      }
    },
  };
  return {
    name,
    legs,
    async setup() {},
    cycle: () => timedCycle(legs),
    async teardown() {},
  };
}

/** A whole Baton deployment (dev server, store, workers, API) serving one HTTP contender. */
export async function startBatonHttpContender(options: { workers: number; log?: (line: string) => void }) {
  const deployment = await startBatonDeployment({ workers: options.workers, api: true, log: options.log });
  return {
    contender: createBatonHttpContender(deployment.stack.apiUrl as string, 'baton-http', () => describeProcess(deployment.stack.api)),
    deployment,
    stop: () => deployment.stop(),
  };
}

export function describeProcess(process: BatonProcess | null): string {
  if (!process) return '';
  return `pid ${process.pid} ${process.alive() ? 'running' : 'EXITED'}\n${process.output()}`;
}
