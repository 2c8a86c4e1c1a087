import { defineQuery, defineUpdate } from '@temporalio/workflow';
import type { ResumeRequest, RunSnapshot } from '../domain/run.ts';

// One definition of every message, imported by the workflow, the API, the worker and the tests.
export const AGENT_RUN_WORKFLOW = 'agentRun';

/** Answer a paused step. The validator rejects (without a trace in history) bad resumes. */
export const resumeUpdate = defineUpdate<RunSnapshot, [ResumeRequest]>('resume');

/**
 * Returns the snapshot once the run is paused, completed or failed and its version is above
 * `afterVersion`; the engine of start-and-wait (update-with-start) and resume-and-wait.
 */
export const settledUpdate = defineUpdate<RunSnapshot, [{ afterVersion?: number }]>('settled');

/** The run as it stands; works on open and closed runs. */
export const snapshotQuery = defineQuery<RunSnapshot>('snapshot');
