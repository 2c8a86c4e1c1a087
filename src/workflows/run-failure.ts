/** A reason the run fails; agentRun records it and fails the Temporal workflow with `code` as type. */
export class RunFailure extends Error {
  readonly code: string;
  readonly step: string | null;
  constructor(code: string, message: string, step: string | null) {
    super(message);
    this.name = 'RunFailure';
    this.code = code;
    this.step = step;
  }
}
