// `node test/bench/floor/worker.ts`: temporal-floor's worker, its own process as `baton worker`
// is, so CPU per process compares like with like. Same worker settings as Baton's (createBatonWorker:
// bundled in a child process, the same workflow cache); TEMPORAL_ADDRESS, TEMPORAL_NAMESPACE and
// FLOOR_TASK_QUEUE say where. Stops on SIGTERM/SIGINT.
import { fileURLToPath } from 'node:url';
import { NativeConnection, Runtime } from '@temporalio/worker';
import { createBatonWorker } from '../../../workers/create-worker.ts';
import { floorActivities } from './activities.ts';

const address = process.env.TEMPORAL_ADDRESS;
const taskQueue = process.env.FLOOR_TASK_QUEUE;
if (!address || !taskQueue) throw new Error('TEMPORAL_ADDRESS and FLOOR_TASK_QUEUE must be set');

// As `baton worker`: the process stops the worker itself.
Runtime.install({ shutdownSignals: [] });
const connection = await NativeConnection.connect({ address });
const worker = await createBatonWorker({
  connection,
  namespace: process.env.TEMPORAL_NAMESPACE ?? 'default',
  taskQueue,
  activities: floorActivities,
  workflowsPath: fileURLToPath(new URL('./workflow.ts', import.meta.url)),
});
for (const signal of ['SIGTERM', 'SIGINT'] as const) process.once(signal, () => worker.shutdown());
process.stderr.write(`temporal-floor worker polling ${taskQueue} on ${address}\n`);
await worker.run();
await connection.close();
