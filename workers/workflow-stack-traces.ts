// Whether the Temporal SDK's workflow threads record a stack for every promise workflow code
// creates. The SDK installs a V8 promise hook in each workflow thread for the stack trace query
// (the Web UI's "Stack Trace" tab): for every promise it captures a stack and maps each frame
// through the bundle's source map. Measured on the approval cycle that hook is a quarter of the
// worker's CPU. The SDK has no option for it; it runs without one where the runtime has no promise
// hooks (the query then answers "Workflow stack traces are not enabled on this worker"), so the
// worker starts its workflow threads with a preload that takes the hook away.
import type { Worker as ThreadWorker, WorkerOptions as ThreadWorkerOptions } from 'node:worker_threads';

const preload = new URL('./workflow-thread-without-stack-traces.ts', import.meta.url).href;
// The file the SDK starts each workflow thread from (@temporalio/worker/lib/workflow/).
const sdkWorkflowThread = /[\\/]workflow[\\/]workflow-worker-thread\.js$/;

type ThreadWorkerClass = new (filename: string | URL, options?: ThreadWorkerOptions) => ThreadWorker;
let stackTraces = true;
let installed = false;

/**
 * Sets, for the workflow threads the process starts from now on, whether they record promise stacks
 * (process-wide, like the V8 flags createBatonWorker sets: call it before Worker.create).
 */
export function setWorkflowStackTraces(on: boolean): void {
  stackTraces = on;
  if (!installed) wrapThreadConstructor();
}

/** The SDK reads `Worker` off node:worker_threads when it starts a thread; only its workflow threads are changed. */
function wrapThreadConstructor(): void {
  const threads = process.getBuiltinModule('node:worker_threads') as { Worker: ThreadWorkerClass };
  const Thread = threads.Worker;
  threads.Worker = class extends Thread {
    constructor(filename: string | URL, options?: ThreadWorkerOptions) {
      const workflowThread = !stackTraces && sdkWorkflowThread.test(String(filename));
      // An explicit execArgv replaces the inherited one (the process's V8 flags still apply; NODE_OPTIONS is read again).
      super(filename, workflowThread ? { ...options, execArgv: [...(options?.execArgv ?? []), '--import', preload] } : options);
    }
  };
  installed = true;
}
