// temporal-floor: the approval cycle as tightly as Temporal allows (floor/workflow.ts), driven
// from the bench process as a client would: start = update-with-start of `settle` (answers once
// paused), resume = one `resume` Update that answers once completed. Its worker is its own process.
import { randomUUID } from 'node:crypto';
import { fileURLToPath } from 'node:url';
import { Client, Connection, WithStartWorkflowOperation } from '@temporalio/client';
import { type ApprovalLegs, benchLead, benchLeadState, benchRoutedTo, type Contender, timedCycle } from './contender.ts';
import { FLOOR_WORKFLOW, type FloorLead, resumeUpdate, settleUpdate } from './floor/messages.ts';
import { type BatonProcess, spawnNodeScript, waitForWorkers } from './harness/baton-process.ts';
import type { BenchTemporal } from './harness/temporal-server.ts';

const floorWorkerPath = fileURLToPath(new URL('./floor/worker.ts', import.meta.url));

/** The floor's worker process, polling `taskQueue` once this resolves. */
export async function startFloorWorker(temporal: BenchTemporal, taskQueue: string, log: (line: string) => void = () => {}): Promise<BatonProcess> {
  const worker = spawnNodeScript('worker', [floorWorkerPath], {
    TEMPORAL_ADDRESS: temporal.address,
    TEMPORAL_NAMESPACE: temporal.namespace,
    FLOOR_TASK_QUEUE: taskQueue,
  });
  try {
    await waitForWorkers({ address: temporal.address, namespace: temporal.namespace, taskQueue, count: 1, processes: [worker] });
  } catch (error) {
    await worker.stop();
    throw error;
  }
  log(`temporal-floor worker on ${taskQueue} (pid ${worker.pid})`);
  return worker;
}

export function createTemporalFloorContender(options: { address: string; namespace: string; taskQueue: string; name?: string }): Contender & { legs: ApprovalLegs<string> } {
  let client: Client | null = null;
  const connected = () => {
    if (!client) throw new Error('temporal-floor contender: setup() first');
    return client.workflow;
  };
  const legs: ApprovalLegs<string> = {
    async start() {
      const workflowId = `floor-${randomUUID()}`;
      const lead: FloorLead = { task: benchLead, state: benchLeadState };
      const paused = await connected().executeUpdateWithStart(settleUpdate, {
        startWorkflowOperation: new WithStartWorkflowOperation(FLOOR_WORKFLOW, {
          workflowId,
          taskQueue: options.taskQueue,
          args: [lead],
          workflowIdConflictPolicy: 'USE_EXISTING',
        }),
      });
      if (paused.status !== 'paused' || !paused.pending?.options.includes('approve')) {
        throw new Error(`floor run ${workflowId} did not pause for approval: ${JSON.stringify(paused)}`);
      }
      return workflowId;
    },
    async resume(workflowId) {
      const completed = await connected().getHandle(workflowId).executeUpdate(resumeUpdate, { args: ['approve'] });
      if (completed.status !== 'completed' || completed.result?.routedTo !== benchRoutedTo) {
        throw new Error(`floor run ${workflowId} did not complete as routed: ${JSON.stringify(completed)}`);
      }
    },
  };
  return {
    name: options.name ?? 'temporal-floor',
    legs,
    async setup() {
      client = new Client({ connection: await Connection.connect({ address: options.address }), namespace: options.namespace });
    },
    cycle: () => timedCycle(legs),
    async teardown() {
      await client?.connection.close();
      client = null;
    },
  };
}
