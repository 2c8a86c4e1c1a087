import type { Actor } from '../src/domain/run.ts';
import type { Logger } from '../src/observability/logger.ts';

/** Hono context shared by every sub-app: the auth middleware sets the caller's project and who the caller is. */
export interface AppEnv {
  Variables: {
    project: string;
    /** Who is calling, as the audit trail of answers records it: the API key's label, or null without one. */
    caller: Actor;
    /** The request's id (X-Request-Id, the caller's or one made for it), set by the request log middleware. */
    requestId: string;
    /** The process logger with this request's id on every line. */
    log: Logger;
  };
}
