/** Hono context shared by every sub-app: the auth middleware sets the caller's project. */
export interface AppEnv {
  Variables: {
    project: string;
  };
}
