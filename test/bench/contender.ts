// The one shape every engine under test takes, so the runner can interleave them fairly.

/** What a client saw for one approval cycle: start→paused and resume→completed, in milliseconds. */
export interface CycleTiming {
  startMs: number;
  resumeMs: number;
}

export interface Contender {
  /** Short and stable: it keys the JSON results and the table rows. */
  name: string;
  /** Brings up what the engine needs; measured by nobody. */
  setup(): Promise<void>;
  /**
   * One full approval cycle: start → agent step → paused for approval → resume with "approve" →
   * agent step → completed. Throws if the engine did not really pause or complete.
   */
  cycle(): Promise<CycleTiming>;
  teardown(): Promise<void>;
}

/** The lead every engine routes; fixed so they all do the same work. */
export const benchLead = 'Enterprise buyer asks for a 500-seat quote and an SSO demo next week';
export const benchLeadState = { leadId: 'lead-bench', employees: 5000 };
/** Where lead-router's agents send that lead once approved. */
export const benchRoutedTo = 'enterprise-sales';

/**
 * A cycle's two legs apart, each asserting what it must (paused; completed as routed), for a suite
 * that runs every start before any resume. `T` is what the resume needs from the start.
 */
export interface ApprovalLegs<T = unknown> {
  start(): Promise<T>;
  resume(paused: T): Promise<void>;
}

/** One cycle from its legs, each timed around the client calls only. */
export async function timedCycle<T>(legs: ApprovalLegs<T>): Promise<CycleTiming> {
  const t0 = performance.now();
  const paused = await legs.start();
  const t1 = performance.now();
  await legs.resume(paused);
  return { startMs: t1 - t0, resumeMs: performance.now() - t1 };
}
