// The approval cycle on DBOS Transact, written the way DBOS documents human-in-the-loop agents:
// the workflow runs a checkpointed step, publishes its status with DBOS.setEvent, then waits
// durably on DBOS.recv for the approval that a client sends with DBOS.send.
// DBOS is a library inside the application, so the workflow runs in this process, against its
// system database on the local PostgreSQL (a dedicated database, dropped and recreated per run).
import { randomUUID } from 'node:crypto';
import { DBOS } from '@dbos-inc/dbos-sdk';
import { assignLead, classifyLead } from '../../../src/examples/lead-router.ts';
import { benchLeadState, benchRoutedTo, type Contender, type CycleTiming } from '../contender.ts';
import { benchPostgresServer, recreateDatabase } from '../harness/postgres.ts';

export const DBOS_BENCH_DATABASE = 'baton_bench_dbos';
const APPROVAL_TOPIC = 'approval';
const STATUS_EVENT = 'status';

interface PausedStatus { status: 'paused'; step: 'approval'; proposed: string }
interface CycleResult { status: 'completed'; routedTo: string; decision: string }

// The agents are lead-router's own functions, so every engine runs the same agent code.
async function approvalCycleWorkflow(state: Record<string, unknown>): Promise<CycleResult> {
  const category = await DBOS.runStep(async () => classifyLead(state), { name: 'classify' });
  await DBOS.setEvent<PausedStatus>(STATUS_EVENT, { status: 'paused', step: 'approval', proposed: category });
  // A generous timeout: a human answers within it; null means nobody did and the cycle fails.
  const decision = await DBOS.recv<string>(APPROVAL_TOPIC, 600);
  if (decision !== 'approve') throw new Error(`approval step got ${String(decision)}`);
  const { routedTo } = await DBOS.runStep(
    async () => assignLead({ input: decision, state, steps: { classify: { output: { category } } } }),
    { name: 'route' },
  );
  return { status: 'completed', routedTo, decision };
}

export interface DbosContenderOptions {
  /** Server URL without a database; the bench database is appended. */
  serverUrl?: string;
  /** Keep the system database from an earlier run instead of starting empty. */
  keepDatabase?: boolean;
}

export function createDbosContender(options: DbosContenderOptions = {}): Contender {
  const serverUrl = (options.serverUrl ?? benchPostgresServer).replace(/\/+$/, '');
  const systemDatabaseUrl = `${serverUrl}/${DBOS_BENCH_DATABASE}`;
  let workflow: ((state: Record<string, unknown>) => Promise<CycleResult>) | null = null;

  return {
    name: 'dbos',
    async setup() {
      if (!options.keepDatabase) await recreateDatabase(DBOS_BENCH_DATABASE, serverUrl);
      DBOS.setConfig({ name: 'baton-bench', systemDatabaseUrl, logLevel: 'error' });
      workflow = DBOS.registerWorkflow(approvalCycleWorkflow, { name: 'approvalCycle' });
      await DBOS.launch();
    },
    async cycle(): Promise<CycleTiming> {
      if (!workflow) throw new Error('dbos contender: setup() first');
      const workflowID = `bench-dbos-${randomUUID()}`;
      const t0 = performance.now();
      const handle = await DBOS.startWorkflow(workflow, { workflowID })(benchLeadState);
      // getEvent wakes on a PostgreSQL notification, so this returns as soon as the run pauses.
      const paused = await DBOS.getEvent<PausedStatus>(workflowID, STATUS_EVENT, 60);
      const t1 = performance.now();
      if (paused?.status !== 'paused' || paused.proposed !== 'enterprise') {
        throw new Error(`dbos run ${workflowID} did not pause for approval: ${JSON.stringify(paused)}`);
      }
      const pending = await DBOS.getWorkflowStatus(workflowID);
      if (pending?.status !== 'PENDING') throw new Error(`dbos run ${workflowID} is ${pending?.status} while paused`);

      const t2 = performance.now();
      await DBOS.send(workflowID, 'approve', APPROVAL_TOPIC);
      // The live handle awaits the workflow's own promise (no polling): DBOS's fastest documented path.
      const result = await handle.getResult();
      const t3 = performance.now();
      if (result.status !== 'completed' || result.routedTo !== benchRoutedTo) {
        throw new Error(`dbos run ${workflowID} did not complete: ${JSON.stringify(result)}`);
      }
      return { startMs: t1 - t0, resumeMs: t3 - t2 };
    },
    async teardown() {
      // deregister lets a later setup() in the same process register the workflow again.
      await DBOS.shutdown({ deregister: true });
      workflow = null;
    },
  };
}
