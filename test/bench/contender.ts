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
