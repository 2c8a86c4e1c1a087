import type { Actor } from '../src/domain/run.ts';

/** Hono context shared by every sub-app: the auth middleware sets the caller's project and who the caller is. */
export interface AppEnv {
  Variables: {
    project: string;
    /** Who is calling, as the audit trail of answers records it: the API key's label, or null without one. */
    caller: Actor;
  };
}
