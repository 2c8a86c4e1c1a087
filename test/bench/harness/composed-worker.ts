// A Baton worker composed the way the contract tests compose it (store-backed session memory, the
// built-in and example agents), as a child-process entry. The bench uses it only when asked
// (BENCH_BATON_ENTRY=composed), for as long as `baton worker` runs no activities of its own.
import { NativeConnection } from '@temporalio/worker';
import { createActivities } from '../../../src/activities/index.ts';
import { createAgentRegistry } from '../../../src/agents/agent-registry.ts';
import { registerBuiltinAgents } from '../../../src/agents/builtin-agents.ts';
import { registerExampleAgents } from '../../../src/examples/index.ts';
import { openStore } from '../../../src/store/open-store.ts';
import { createBatonWorker } from '../../../workers/create-worker.ts';

const env = (name: string) => {
  const value = process.env[name];
  if (!value) throw new Error(`${name} is not set`);
  return value;
};

const store = await openStore({ databaseUrl: env('DATABASE_URL') });
const agents = registerExampleAgents(registerBuiltinAgents(createAgentRegistry()));
const worker = await createBatonWorker({
  connection: await NativeConnection.connect({ address: env('TEMPORAL_ADDRESS') }),
  namespace: process.env.TEMPORAL_NAMESPACE ?? 'default',
  taskQueue: env('BATON_TASK_QUEUE'),
  activities: createActivities({ agents, sessions: store.sessions }),
  identity: `bench-worker-${process.pid}`,
});
for (const signal of ['SIGINT', 'SIGTERM'] as const) process.once(signal, () => worker.shutdown());
await worker.run();
await store.close();
