// A harness worker in its own process, so a test can SIGKILL it mid-run: a crash that an
// in-process worker's graceful shutdown cannot imitate. Prints "ready" once polling.
import { readFile } from 'node:fs/promises';
import { NativeConnection, Worker } from '@temporalio/worker';
import { createLlmActivities } from '../../src/activities/llm-activities.ts';
import { createBuiltInToolRegistry } from '../../src/agents/tools/built-in-tools.ts';

const { TEMPORAL_ADDRESS, TEMPORAL_NAMESPACE, HARNESS_TASK_QUEUE, HARNESS_BUNDLE_PATH } = process.env;
if (!TEMPORAL_ADDRESS || !TEMPORAL_NAMESPACE || !HARNESS_TASK_QUEUE || !HARNESS_BUNDLE_PATH) {
  throw new Error('set TEMPORAL_ADDRESS, TEMPORAL_NAMESPACE, HARNESS_TASK_QUEUE and HARNESS_BUNDLE_PATH');
}
const env = { ...process.env };
const connection = await NativeConnection.connect({ address: TEMPORAL_ADDRESS });
const worker = await Worker.create({
  connection,
  namespace: TEMPORAL_NAMESPACE,
  taskQueue: HARNESS_TASK_QUEUE,
  workflowBundle: { code: await readFile(HARNESS_BUNDLE_PATH, 'utf8') },
  activities: createLlmActivities({ env, tools: createBuiltInToolRegistry({ env }) }),
  stickyQueueScheduleToStartTimeout: '1s',
});
const running = worker.run();
process.stdout.write('ready\n');
await running;
