import { randomUUID } from 'node:crypto';
import { fileURLToPath } from 'node:url';
import { Client, Connection } from '@temporalio/client';
import { bundleWorkflowCode, DefaultLogger, NativeConnection, Runtime, Worker, type WorkflowBundleWithSourceMap } from '@temporalio/worker';

export const harnessWorkflowsPath = fileURLToPath(new URL('./harness-workflows.ts', import.meta.url));

// Expected activity failures are the point of several tests; only errors belong in their output.
try {
  Runtime.install({ logger: new DefaultLogger('ERROR') });
} catch {
  // Another module of this test process installed the runtime first; keep its logger.
}

let bundle: Promise<WorkflowBundleWithSourceMap> | undefined;
/** Bundled once per test file: bundling costs seconds, and every worker of the file shares it. */
export function harnessBundle(): Promise<WorkflowBundleWithSourceMap> {
  bundle ??= bundleWorkflowCode({ workflowsPath: harnessWorkflowsPath, logger: quietLogger });
  return bundle;
}

export interface HarnessWorker {
  taskQueue: string;
  stop(): Promise<void>;
}

/** A real worker on its own task queue, polling until stop(). */
export async function startHarnessWorker(options: { address: string; namespace: string; activities: object; taskQueue?: string }): Promise<HarnessWorker> {
  const connection = await NativeConnection.connect({ address: options.address });
  const taskQueue = options.taskQueue ?? `harness-${randomUUID()}`;
  const worker = await Worker.create({
    connection,
    namespace: options.namespace,
    taskQueue,
    workflowBundle: await harnessBundle(),
    activities: options.activities,
    // A restarted worker picks up at once instead of waiting out a dead worker's sticky queue.
    stickyQueueScheduleToStartTimeout: '1s',
  });
  const running = worker.run();
  return {
    taskQueue,
    async stop() {
      if (worker.getState() === 'RUNNING') worker.shutdown();
      await running;
      await connection.close();
    },
  };
}

export async function harnessClient(address: string, namespace: string): Promise<{ client: Client; close: () => Promise<void> }> {
  const connection = await Connection.connect({ address });
  return { client: new Client({ connection, namespace }), close: () => connection.close() };
}

const quietLogger = {
  log: () => undefined, trace: () => undefined, debug: () => undefined, info: () => undefined,
  warn: (message: string) => console.warn(message), error: (message: string) => console.error(message),
};
