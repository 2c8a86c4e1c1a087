// What the worker's sticky cache saves a resume: paused runs that fell out of the cache (the
// oldest of thousands) against ones still in it (the newest), resumed in turns through the
// Temporal client as RunService.resumeAndWait does (the `resume` Update, then `settled`), each
// timed from the resume until the client sees the run completed.
import { type Client, WorkflowNotFoundError } from '@temporalio/client';
import type { RunSnapshot } from '../../src/domain/run.ts';
import { resumeUpdate, settledUpdate, snapshotQuery } from '../../src/workflows/messages.ts';
import { benchRoutedTo } from './contender.ts';
import { summarize, type Summary } from './stats.ts';

/** null: no run of that kind was resumed. */
export interface ResumeLatency {
  evicted: Summary | null;
  cached: Summary | null;
}

/** Resumes each run once, alternating evicted and cached so machine noise lands on both; throws if one does not complete as routed. */
export async function measureResumeLatency(client: Client, project: string, runs: { evicted: readonly string[]; cached: readonly string[] }): Promise<ResumeLatency> {
  const evicted: number[] = [];
  const cached: number[] = [];
  for (let i = 0; i < Math.max(runs.evicted.length, runs.cached.length); i++) {
    const turn: Array<[string | undefined, number[]]> = [[runs.evicted[i], evicted], [runs.cached[i], cached]];
    // Who goes first alternates too.
    if (i % 2 === 1) turn.reverse();
    for (const [runId, into] of turn) if (runId) into.push(await resumeToCompletion(client, project, runId));
  }
  return { evicted: evicted.length > 0 ? summarize(evicted) : null, cached: cached.length > 0 ? summarize(cached) : null };
}

async function resumeToCompletion(client: Client, project: string, runId: string): Promise<number> {
  const handle = client.workflow.getHandle(runId);
  // The step to answer, read untimed: the resume is what is measured.
  const paused = await handle.query(snapshotQuery);
  const step = paused.pendingAction?.step;
  if (paused.status !== 'paused' || !step) throw new Error(`run ${runId} is not paused: ${JSON.stringify(paused)}`);
  const began = performance.now();
  const accepted = await handle.executeUpdate(resumeUpdate, { args: [{ step, input: 'approve' }, { project }] });
  const completed: RunSnapshot = await handle.executeUpdate(settledUpdate, { args: [{ afterVersion: accepted.version, project }] })
    .catch(async (error: unknown) => { if (error instanceof WorkflowNotFoundError) return await handle.query(snapshotQuery); throw error; });
  const elapsed = performance.now() - began;
  if (completed.status !== 'completed' || (completed.result as { routedTo?: string } | null)?.routedTo !== benchRoutedTo) {
    throw new Error(`run ${runId} did not complete as routed after its resume: ${JSON.stringify(completed)}`);
  }
  return elapsed;
}
