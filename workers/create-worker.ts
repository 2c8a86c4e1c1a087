import { execFile } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import v8 from 'node:v8';
import { bundleWorkflowCode, type NativeConnection, Worker, type WorkerInterceptors, type WorkerOptions, type WorkflowBundle } from '@temporalio/worker';
import { setWorkflowStackTraces } from './workflow-stack-traces.ts';

/** The engine's workflow module (exports `agentRun`); bundled into the worker's sandbox. */
export const defaultWorkflowsPath = fileURLToPath(new URL('../src/workflows/index.ts', import.meta.url));

/**
 * Paused runs wait for days; the SDK's default cache (~60% of the heap limit: ~2,300 runs on a
 * 4 GB heap) keeps each one's workflow state resident, so RSS grows with every paused run.
 * A resumed run that was evicted replays its short history instead. 128 covers the bench's 64
 * concurrent cycles; BATON_WORKER_MAX_CACHED_WORKFLOWS overrides it.
 */
export const defaultMaxCachedWorkflows = 128;

/**
 * V8's memory saver mode, process-wide: without it each of the worker's two isolates (main and the
 * workflow thread) grows its young generation to 128 MB under load and keeps it (worker RSS 250 →
 * ~570 MB at 1,000 paused runs); with it both stay near their live size (~275 MB) for ~20% more
 * worker CPU per run. Set before Worker.create, which creates the workflow thread's isolate.
 */
export function applyV8MemorySaver(): void {
  v8.setFlagsFromString('--memory-saver-mode');
}

/**
 * Stack frames V8 keeps per error in the contexts created after this is set: the workflow thread's
 * and its workflow sandbox's, not the process's main one. With workflow stack traces on, the SDK
 * also captures a stack for every promise workflow code creates and maps each frame through the
 * bundle's source map, for the Web UI's stack trace, at a cost that grows with the frames. With 6
 * (V8's default is 10) that trace still names every Baton line a paused run waits on, as a chain of
 * its promises; a failure's stack shows its 6 innermost frames. BATON_WORKER_STACK_FRAMES overrides it.
 */
export const workflowStackFrames = 6;

function applyWorkflowStackFrames(frames: number): void {
  v8.setFlagsFromString(`--stack-trace-limit=${frames}`);
}

export interface BatonWorkerOptions {
  connection: NativeConnection;
  namespace: string;
  taskQueue: string;
  /** Activity implementations, usually `createActivities(deps)`. */
  activities?: object;
  /** Defaults to src/workflows/index.ts. Ignored when workflowBundle is given. */
  workflowsPath?: string;
  /** A bundle made once with bundleBatonWorkflows, so several workers (tests, bench) skip re-bundling. */
  workflowBundle?: WorkflowBundle;
  maxConcurrentActivities?: number;
  maxConcurrentWorkflowTasks?: number;
  maxCachedWorkflows?: number;
  /** V8's memory saver mode for the whole process (see applyV8MemorySaver); default true, false leaves V8's defaults. */
  memorySaver?: boolean;
  /** Stack frames per error, and with stackTraces per workflow promise, in the workflow thread (see workflowStackFrames); default 6. */
  stackFrames?: number;
  /**
   * Record a stack per workflow promise for the Web UI's stack trace (see workflow-stack-traces.ts);
   * default false: a quarter of the worker's CPU per approval cycle, for a trace the run's current
   * details already sum up (which step waits for what).
   */
  stackTraces?: boolean;
  /** How long in-flight activities get to finish on shutdown before they are cancelled; the stop is forced 3 s later. */
  shutdownGraceMs?: number;
  identity?: string;
  /** Tracing: activity interceptors and the sinks the workflow interceptors export through. */
  interceptors?: WorkerInterceptors;
  sinks?: WorkerOptions['sinks'];
  /** Workflow interceptor modules bundled with the workflow code (ignored when workflowBundle is given). */
  workflowInterceptorModules?: string[];
}

/** How long cancelled activities get, after the grace, to notice their cancellation before the worker stops without them. */
export const shutdownForceAfterGraceMs = 3_000;

export async function createBatonWorker(options: BatonWorkerOptions): Promise<Worker> {
  const grace = options.shutdownGraceMs ?? 10_000;
  if (options.memorySaver ?? true) applyV8MemorySaver();
  // Before Worker.create, which starts the workflow thread (its contexts take the limit at creation).
  applyWorkflowStackFrames(options.stackFrames ?? workflowStackFrames);
  setWorkflowStackTraces(options.stackTraces ?? false);
  return await Worker.create({
    connection: options.connection,
    namespace: options.namespace,
    taskQueue: options.taskQueue,
    activities: options.activities ?? {},
    // Bundled here rather than by Worker.create, which prints webpack's whole report at INFO.
    workflowBundle: options.workflowBundle ?? await bundleInChildProcess(options.workflowsPath, options.workflowInterceptorModules),
    ...(options.maxConcurrentActivities ? { maxConcurrentActivityTaskExecutions: options.maxConcurrentActivities } : {}),
    ...(options.maxConcurrentWorkflowTasks ? { maxConcurrentWorkflowTaskExecutions: options.maxConcurrentWorkflowTasks } : {}),
    maxCachedWorkflows: options.maxCachedWorkflows ?? defaultMaxCachedWorkflows,
    shutdownGraceTime: grace,
    // An activity that ignores its cancellation (a hung query, an agent that never checks the signal)
    // must not hold the stop open: after this the worker gives up on it and run() rejects.
    shutdownForceTime: grace + shutdownForceAfterGraceMs,
    ...(options.identity ? { identity: options.identity } : {}),
    ...(options.interceptors ? { interceptors: options.interceptors } : {}),
    ...(options.sinks ? { sinks: options.sinks } : {}),
  });
}

/**
 * The workflow bundle's source map: line positions in the original files, without their text.
 * The worker parses the map into the workflow thread and maps every workflow promise's stack
 * through it (for the Web UI's stack trace); the SDK's default (every column, every source file's
 * full text inline) makes the bundle 2.2 MB instead of 0.8 MB and the worker ~17 MB larger, for
 * column numbers and source snippets that only `showStackTraceSources` (off) would show.
 */
export const workflowSourceMap = 'inline-nosources-cheap-module-source-map';

/** Bundles the workflow code once (a few seconds of webpack) for reuse by many workers. */
export async function bundleBatonWorkflows(workflowsPath = defaultWorkflowsPath, workflowInterceptorModules: string[] = []): Promise<WorkflowBundle> {
  return await bundleWorkflowCode({
    workflowsPath,
    workflowInterceptorModules,
    logger: quietBundlerLogger,
    webpackConfigHook: (config) => ({ ...config, devtool: workflowSourceMap }),
  });
}

/**
 * Bundles in a short-lived Node process: webpack inside the worker leaves ~160 MB of heap and
 * native memory behind that the worker's RSS never gives back (measured: 360 MB at rest, 200 MB this way).
 */
export async function bundleInChildProcess(workflowsPath = defaultWorkflowsPath, workflowInterceptorModules: string[] = []): Promise<WorkflowBundle> {
  const script = `const { bundleBatonWorkflows } = await import(${JSON.stringify(import.meta.url)});
const { code } = await bundleBatonWorkflows(${JSON.stringify(workflowsPath)}, ${JSON.stringify(workflowInterceptorModules)});
process.stdout.write(code);`;
  // The parent's flags (type stripping on Node 22, loaders) but never a second debugger on its port.
  const flags = process.execArgv.filter((flag) => !flag.startsWith('--inspect'));
  const { stdout } = await promisify(execFile)(process.execPath, [...flags, '--input-type=module', '--eval', script], { maxBuffer: 256 * 1024 * 1024, encoding: 'utf8' });
  return { code: stdout };
}

const ignore = () => {};
const quietBundlerLogger = { trace: ignore, debug: ignore, info: ignore, log: ignore, warn: console.warn, error: console.error };
