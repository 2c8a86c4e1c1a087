import { defineQuery, defineUpdate } from '@temporalio/workflow';
import type { Actor, ResumeRequest, RunSnapshot } from '../domain/run.ts';

// One definition of every message, imported by the workflow, the API, the worker and the tests.
export const AGENT_RUN_WORKFLOW = 'agentRun';

/**
 * Who is asking. The workflow rejects (as `run_not_found`, without a trace in history) a caller
 * whose project is not the run's, so project isolation costs no extra round trip.
 */
export interface RunCaller {
  project?: string;
  /** Who answers (resume only): recorded in the run's audit trail. */
  by?: Actor;
}

/**
 * Answer a paused step. The validator rejects (without a trace in history) bad resumes: the run is
 * not paused (`run_not_paused` / `run_finished`), another step is waiting (`step_mismatch`), or the
 * input is not an option / does not match the step's JSON Schema (`invalid_resume_input`).
 * Returns the snapshot right after the answer is applied (status `running`); to wait for the next
 * pause or the end, follow with `settledUpdate` and `afterVersion` = the returned version.
 */
export const resumeUpdate = defineUpdate<RunSnapshot, [ResumeRequest, RunCaller?]>('resume');

export interface SettledRequest extends RunCaller {
  /** Only a snapshot newer than this version settles the wait (a finished run always does). */
  afterVersion?: number;
  /** Give up waiting after this many ms and return the snapshot as it stands (status `running`). */
  waitMs?: number;
}

/**
 * Returns the snapshot once the run is paused, completed, failed or cancelled and its version is
 * above `afterVersion`; the engine of start-and-wait (update-with-start) and resume-and-wait.
 */
export const settledUpdate = defineUpdate<RunSnapshot, [SettledRequest]>('settled');

export interface ResumeAndSettleCaller extends RunCaller {
  /** Give up waiting after this many ms and return the run as it stands (status `running`). */
  waitMs?: number;
}

/**
 * Answer a paused step and wait for the next pause or the end, in one Update: the resume Update's
 * validator and change, then the settled Update's wait past the answered version. A worker older
 * than this Update refuses it ("No registered handler"); RunService then sends `resume` and `settled`.
 */
export const resumeAndSettleUpdate = defineUpdate<RunSnapshot, [ResumeRequest, ResumeAndSettleCaller?]>('resumeAndSettle');

/** The run as it stands; works on open and closed runs. */
export const snapshotQuery = defineQuery<RunSnapshot>('snapshot');
