// The approval cycle driven straight through the Temporal client against Baton's agentRun
// workflow: the baseline the HTTP facade is measured against. Start = one update-with-start of
// `settled` (answers once paused); resume = the `resume` update, then `settled` after its version.
// The run is started with the options RunService.startAndWait uses (definition snapshot from the
// store, the v1 input shape, summary, details, search attributes), so the API is the difference.
import { Client, Connection, WithStartWorkflowOperation, WorkflowNotFoundError } from '@temporalio/client';
import type { Definition } from '../../src/domain/definition.ts';
import type { RunStart } from '../../src/domain/run.ts';
import { openStore } from '../../src/store/open-store.ts';
import { newRunId, newSessionId } from '../../src/temporal/run-ids.ts';
import { AGENT_RUN_WORKFLOW, resumeUpdate, settledUpdate, snapshotQuery } from '../../src/workflows/messages.ts';
import { agentKey, definitionIdKey, projectKey, sessionIdKey, statusKey, stepOrderKey, updatedAtKey } from '../../src/workflows/search-attribute-keys.ts';
import { benchLead, benchLeadState, benchRoutedTo, type Contender, type CycleTiming } from './contender.ts';

export interface TemporalDirectOptions {
  address: string;
  namespace: string;
  taskQueue: string;
  /** The store the deployment's API reads definitions from. */
  databaseUrl: string;
  project?: string;
  agent?: string;
}

/**
 * The workflow options RunService.startAndWait starts a run with (definition snapshot, the v1 input
 * shape, summary, details, search attributes), for the bench's lead, as a fresh run.
 */
export function runStartOptions(options: { runId: string; project: string; agent: string; definition: Definition; taskQueue: string; leadId?: string }) {
  const { runId, project, agent, definition } = options;
  const sessionId = newSessionId();
  const state = { ...benchLeadState, ...(options.leadId ? { leadId: options.leadId } : {}) };
  const start: RunStart = { runId, project, definition, task: benchLead, state, input: { task: benchLead, state }, sessionId, defaultPauseTimeout: '7d' };
  return {
    workflowId: runId,
    taskQueue: options.taskQueue,
    args: [start] as [RunStart],
    workflowIdConflictPolicy: 'USE_EXISTING' as const,
    workflowIdReusePolicy: 'REJECT_DUPLICATE' as const,
    staticSummary: `${definition.name} (${definition.id}, agent ${agent}) · project ${project}`,
    staticDetails: `Task: ${benchLead}\n\nSession: ${sessionId}\n\nSteps: ${[...definition.steps].sort((a, b) => a.stepOrder - b.stepOrder).map((step) => step.name).join(' → ')}`,
    typedSearchAttributes: [
      { key: projectKey, value: project },
      { key: definitionIdKey, value: definition.id },
      { key: agentKey, value: agent },
      { key: sessionIdKey, value: sessionId },
      { key: statusKey, value: 'running' },
      { key: stepOrderKey, value: 0 },
      { key: updatedAtKey, value: new Date() },
    ],
  };
}

/** The definition published as `agent` in `project`, read from the deployment's store. */
export async function loadAgentDefinition(databaseUrl: string, project: string, agent: string): Promise<Definition> {
  const store = await openStore({ databaseUrl, maxConnections: 1 });
  try {
    const definition = await store.definitions.findByAgent(project, agent);
    if (!definition) throw new Error(`no definition published as agent ${agent} in project ${project}`);
    return definition;
  } finally {
    await store.close();
  }
}

export function createTemporalDirectContender(options: TemporalDirectOptions): Contender {
  const project = options.project ?? 'default';
  const agent = options.agent ?? 'lead-router';
  let client: Client | null = null;
  let definition: Definition | null = null;

  return {
    name: 'temporal-direct',
    async setup() {
      definition = await loadAgentDefinition(options.databaseUrl, project, agent);
      client = new Client({ connection: await Connection.connect({ address: options.address }), namespace: options.namespace });
    },
    async cycle(): Promise<CycleTiming> {
      if (!client || !definition) throw new Error('temporal-direct contender: setup() first');
      const runId = newRunId();
      const t0 = performance.now();
      const paused = await client.workflow.executeUpdateWithStart(settledUpdate, {
        args: [{ project }],
        startWorkflowOperation: new WithStartWorkflowOperation(AGENT_RUN_WORKFLOW, runStartOptions({ runId, project, agent, definition, taskQueue: options.taskQueue })),
      });
      const t1 = performance.now();
      const pending = paused.pendingAction;
      if (paused.status !== 'paused' || pending?.type !== 'confirmation' || !pending.options.includes('approve')) {
        throw new Error(`run ${runId} did not pause for approval: ${JSON.stringify(paused)}`);
      }

      const t2 = performance.now();
      const handle = client.workflow.getHandle(runId);
      const accepted = await handle.executeUpdate(resumeUpdate, { args: [{ step: pending.step, input: 'approve' }, { project }] });
      // As RunService.resumeAndWait: a run that finished before the second Update answers the Query.
      const completed = await handle.executeUpdate(settledUpdate, { args: [{ afterVersion: accepted.version, project }] })
        .catch(async (error: unknown) => { if (error instanceof WorkflowNotFoundError) return await handle.query(snapshotQuery); throw error; });
      const t3 = performance.now();
      if (completed.status !== 'completed' || (completed.result as { routedTo?: string } | null)?.routedTo !== benchRoutedTo) {
        throw new Error(`run ${runId} did not complete as routed: ${JSON.stringify(completed)}`);
      }
      return { startMs: t1 - t0, resumeMs: t3 - t2 };
    },
    async teardown() {
      await client?.connection.close();
      client = null;
    },
  };
}
