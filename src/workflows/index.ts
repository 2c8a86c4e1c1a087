// The worker's workflowsPath: every workflow type Baton registers.
export { agentRun } from './agent-run.ts';
