// Runs started before the read model existed never wrote a row; this copies them in once per
// database, from Temporal visibility (the one place Baton still reads it, and only here).
import type { Client } from '@temporalio/client';
import type { RunSnapshot } from '../domain/run.ts';
import type { RunRepository } from '../store/runs.ts';
import { AGENT_RUN_WORKFLOW } from '../workflows/messages.ts';
import { projectKey } from '../workflows/search-attribute-keys.ts';
import type { RunService } from './run-service.ts';
import { toRunSummary } from './run-visibility.ts';

/** The baton_jobs name of the backfill: done once, by whichever API process gets there first. */
export const runBackfillJob = 'runs-backfill';

const batchSize = 100;

export interface BackfillOutcome {
  /** Runs copied in. */
  recorded: number;
  /** Of those, runs whose state could not be queried (no worker, or broken): listed from visibility only. */
  fromVisibility: number;
}

/**
 * Copies every agentRun workflow that has no row yet into the read model: its snapshot when a
 * worker answers the Query, else what visibility knows. Returns null when the job had already run
 * or `signal` stopped it (it then runs again at the next start).
 */
export async function backfillRunReadModel(options: { client: Client; taskQueue: string; runs: Pick<RunService, 'get'>; readModel: RunRepository; signal?: AbortSignal }): Promise<BackfillOutcome | null> {
  const { client, runs, readModel, signal } = options;
  if (await readModel.jobDone(runBackfillJob)) return null;
  const outcome: BackfillOutcome = { recorded: 0, fromVisibility: 0 };
  let batch: Parameters<typeof toRunSummary>[0][] = [];
  const flush = async () => {
    const byProject = Map.groupBy(batch, (info) => info.typedSearchAttributes.get(projectKey) ?? '');
    batch = [];
    for (const [project, infos] of byProject) {
      if (!project) continue;
      const known = await readModel.known(project, infos.map((info) => info.workflowId));
      for (const info of infos) {
        if (known.has(info.workflowId) || signal?.aborted) continue;
        const snapshot = await runs.get(project, info.workflowId).catch(() => null);
        if (!snapshot) outcome.fromVisibility += 1;
        await readModel.record(snapshot ?? snapshotFromVisibility(info));
        outcome.recorded += 1;
      }
    }
  };
  // This deployment's runs only: several deployments (task queues) may share a namespace.
  const query = `WorkflowType = '${AGENT_RUN_WORKFLOW}' AND TaskQueue = '${options.taskQueue.replace(/['\\]/g, '')}'`;
  for await (const info of client.workflow.list({ query })) {
    if (signal?.aborted) return null;
    batch.push(info);
    if (batch.length >= batchSize) await flush();
  }
  await flush();
  if (signal?.aborted) return null;
  await readModel.markJobDone(runBackfillJob);
  return outcome;
}

/** The row of a run whose state cannot be read: version 0, so anything the run records later replaces it. */
function snapshotFromVisibility(info: Parameters<typeof toRunSummary>[0]): RunSnapshot {
  const summary = toRunSummary(info);
  return { ...summary, definitionName: summary.definitionId, steps: [], result: null, pendingAction: null, error: null, version: 0 };
}
