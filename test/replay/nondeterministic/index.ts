// The real agentRun with one timer added before the first step: a changed command order that no
// patched() guards. Replaying the recorded histories with it must fail, proving the replay test
// catches exactly the change that would break runs in flight.
import { sleep } from '@temporalio/workflow';
import type { RunSnapshot, RunStart } from '../../../src/domain/run.ts';
import { agentRun as recordedAgentRun } from '../../../src/workflows/agent-run.ts';

export async function agentRun(start: RunStart): Promise<RunSnapshot> {
  await sleep('1 second');
  return await recordedAgentRun(start);
}
