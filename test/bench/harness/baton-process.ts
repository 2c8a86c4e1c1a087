// Baton roles (`baton worker`, `baton api`) as child processes, so a bench can run one or two
// worker processes, read their RSS from /proc, and measure the API the way a deployment runs it.
import { spawn, type ChildProcess } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { Connection } from '@temporalio/client';
import proto from '@temporalio/proto';

export const batonCliPath = fileURLToPath(new URL('../../../src/cli/baton.ts', import.meta.url));

export interface BatonProcess {
  /** `start` is `baton start` (worker and API in one process). */
  role: 'worker' | 'api' | 'start';
  pid: number;
  /** Last lines it printed, for error messages. */
  output(): string;
  alive(): boolean;
  stop(): Promise<void>;
}

/** Every child of this bench, so an exiting or interrupted bench never leaves one behind. */
const children = new Set<ChildProcess>();
let hooked = false;
function killChildrenOnExit(): void {
  if (hooked) return;
  hooked = true;
  process.on('exit', () => {
    for (const child of children) child.kill('SIGKILL');
  });
}

/** `cliPath` picks another tree's CLI (an earlier commit's engine, see source-tree.ts); this tree's by default. */
export function spawnBaton(role: BatonProcess['role'], env: Record<string, string>, cliPath = batonCliPath): BatonProcess {
  return spawnNodeScript(role, [cliPath, role], env);
}

/** Any Node script of the bench as a child process (a peer's worker), kept and stopped like Baton's. */
export function spawnNodeScript(role: BatonProcess['role'], args: readonly string[], env: Record<string, string>): BatonProcess {
  // process.execPath is the Node 24 that runs the bench (npm puts node_modules/.bin first on PATH).
  const child = spawn(process.execPath, args, {
    env: { ...process.env, ...env },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  children.add(child);
  killChildrenOnExit();
  let output = '';
  const keep = (chunk: Buffer) => {
    output = (output + chunk.toString()).slice(-6000);
  };
  child.stdout?.on('data', keep);
  child.stderr?.on('data', keep);
  const exited = new Promise<void>((resolve) => child.once('exit', () => { children.delete(child); resolve(); }));
  return {
    role,
    pid: child.pid ?? -1,
    output: () => output.trim().split('\n').slice(-15).join('\n'),
    alive: () => child.exitCode === null && child.signalCode === null,
    async stop() {
      if (child.exitCode !== null || child.signalCode !== null) return;
      child.kill('SIGTERM');
      const timer = setTimeout(() => child.kill('SIGKILL'), 15_000);
      await exited;
      clearTimeout(timer);
    },
  };
}

/** Resolves once `count` distinct workers poll the task queue for workflow tasks. */
export async function waitForWorkers(options: {
  address: string;
  namespace: string;
  taskQueue: string;
  count: number;
  processes: readonly BatonProcess[];
  timeoutMs?: number;
}): Promise<void> {
  const connection = await Connection.connect({ address: options.address });
  const deadline = Date.now() + (options.timeoutMs ?? 120_000);
  try {
    while (Date.now() < deadline) {
      const dead = options.processes.find((proc) => !proc.alive());
      if (dead) throw new Error(`baton ${dead.role} (pid ${dead.pid}) exited before polling:\n${dead.output()}`);
      const described = await connection.workflowService.describeTaskQueue({
        namespace: options.namespace,
        taskQueue: { name: options.taskQueue },
        taskQueueType: proto.temporal.api.enums.v1.TaskQueueType.TASK_QUEUE_TYPE_WORKFLOW,
      });
      const identities = new Set((described.pollers ?? []).map((poller) => poller.identity));
      if (identities.size >= options.count) return;
      await new Promise((resolve) => setTimeout(resolve, 250));
    }
  } finally {
    await connection.close();
  }
  throw new Error(
    `${options.count} worker(s) did not poll ${options.taskQueue} within the timeout:\n` +
      options.processes.map((proc) => `--- ${proc.role} ${proc.pid}\n${proc.output()}`).join('\n'),
  );
}

/** Resolves once GET /healthz answers 200. */
export async function waitForHttp(url: string, api: BatonProcess, timeoutMs = 60_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (Date.now() < deadline) {
    if (!api.alive()) throw new Error(`baton api (pid ${api.pid}) exited:\n${api.output()}`);
    try {
      const response = await fetch(`${url}/healthz`, { signal: AbortSignal.timeout(1000) });
      if (response.ok) return;
    } catch { /* not listening yet */ }
    await new Promise((resolve) => setTimeout(resolve, 200));
  }
  throw new Error(`baton api at ${url} did not answer /healthz within ${timeoutMs} ms:\n${api.output()}`);
}
