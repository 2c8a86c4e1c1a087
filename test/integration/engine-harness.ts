// What the engine-*.test.ts files share: a real worker on the test run's dev server with its own
// task queue, a RunService over it, and a terse way to write definitions.
import { fileURLToPath } from 'node:url';
import { Client, Connection } from '@temporalio/client';
import { bundleWorkflowCode, NativeConnection, Worker, type WorkflowBundle } from '@temporalio/worker';
import { ulid } from 'ulid';
import { inject } from 'vitest';
import { createActivities, createInMemorySessionMemory, type ActivitiesDeps, type SessionMemory } from '../../src/activities/index.ts';
import { createAgentRegistry, type AgentLookup, type AgentRegistry } from '../../src/agents/agent-registry.ts';
import { registerBuiltinAgents } from '../../src/agents/builtin-agents.ts';
import type { Definition } from '../../src/domain/definition.ts';
import type { PauseTimeout } from '../../src/domain/duration.ts';
import type { RunSnapshot } from '../../src/domain/run.ts';
import type { Step } from '../../src/domain/step.ts';
import type { agentRun } from '../../src/workflows/agent-run.ts';
import { RunService } from '../../src/temporal/run-service.ts';

export const workflowsPath = fileURLToPath(new URL('../../src/workflows/index.ts', import.meta.url));

const ignore = () => {};
let bundle: Promise<WorkflowBundle> | undefined;
/** One webpack bundle per test file (a few seconds), shared by all its workers. */
export function workflowBundle(): Promise<WorkflowBundle> {
  bundle ??= bundleWorkflowCode({ workflowsPath, logger: { trace: ignore, debug: ignore, info: ignore, log: ignore, warn: ignore, error: console.error } });
  return bundle;
}

export interface Engine {
  client: Client;
  runs: RunService;
  agents: AgentRegistry;
  sessions: SessionMemory;
  taskQueue: string;
  /** Starts another worker on the same task queue (for worker-restart tests). */
  startWorker(): Promise<RunningWorker>;
  worker: RunningWorker;
  close(): Promise<void>;
}

export interface RunningWorker {
  worker: Worker;
  stop(): Promise<void>;
}

export async function startEngine(name: string, options: { defaultPauseTimeout?: PauseTimeout; lookup?: AgentLookup; llm?: ActivitiesDeps['llm'] } = {}): Promise<Engine> {
  const address = inject('temporalAddress');
  const namespace = inject('temporalNamespace');
  const taskQueue = `engine-${name}-${ulid()}`;
  const connection = await Connection.connect({ address });
  const client = new Client({ connection, namespace });
  const agents = registerBuiltinAgents(createAgentRegistry(options.lookup ? { lookup: options.lookup } : {}));
  const sessions = createInMemorySessionMemory();
  const activities = createActivities({ agents, sessions, ...(options.llm ? { llm: options.llm } : {}) });
  const nativeConnection = await NativeConnection.connect({ address });
  const startWorker = async (): Promise<RunningWorker> => {
    const worker = await Worker.create({
      connection: nativeConnection,
      namespace,
      taskQueue,
      workflowBundle: await workflowBundle(),
      activities,
      // Cancellation reaches an activity with its next heartbeat; keep that quick in tests.
      maxHeartbeatThrottleInterval: '500ms',
      defaultHeartbeatThrottleInterval: '500ms',
      shutdownGraceTime: '1s',
    });
    const running = worker.run();
    return {
      worker,
      async stop() {
        if (worker.getState() === 'RUNNING') worker.shutdown();
        await running;
      },
    };
  };
  const engine: Engine = {
    client,
    runs: new RunService({ client, taskQueue, defaultPauseTimeout: options.defaultPauseTimeout ?? '1h' }),
    agents,
    sessions,
    taskQueue,
    startWorker,
    worker: await startWorker(),
    async close() {
      // The current worker: a restart test may have replaced the first one.
      await engine.worker.stop();
      await nativeConnection.close();
      await connection.close();
    },
  };
  return engine;
}

type StepSpec =
  | ({ type?: 'agent'; name: string; agentId: string; action?: string; requireApproval?: boolean } & StepExtras)
  | ({ type: 'approval'; name: string; message: string; options: string[] } & StepExtras)
  | ({ type: 'input'; name: string; message: string; schema?: Record<string, unknown> } & StepExtras);
type StepExtras = Partial<Pick<Step, 'retry' | 'timeout' | 'pauseTimeout' | 'next' | 'stepOrder'>>;

/** A definition whose steps run in the order given (stepOrder 1, 2, …) unless a spec says otherwise. */
export function defineRun(project: string, steps: StepSpec[], extra: Partial<Pick<Definition, 'agent' | 'pauseTimeout' | 'name'>> = {}): Definition {
  const at = new Date().toISOString();
  return {
    id: `wf-${ulid().toLowerCase()}`,
    project,
    name: extra.name ?? 'test definition',
    description: null,
    agent: extra.agent ?? null,
    pauseTimeout: extra.pauseTimeout ?? null,
    version: 1,
    createdAt: at,
    updatedAt: at,
    steps: steps.map((spec, index): Step => {
      const common = { id: `st-${index + 1}`, name: spec.name, stepOrder: spec.stepOrder ?? index + 1, retry: spec.retry, timeout: spec.timeout, pauseTimeout: spec.pauseTimeout, next: spec.next };
      if (spec.type === 'approval') return { ...common, type: 'approval', message: spec.message, options: spec.options };
      if (spec.type === 'input') return { ...common, type: 'input', message: spec.message, schema: spec.schema };
      return { ...common, type: 'agent', agentId: spec.agentId, action: spec.action ?? '', requireApproval: spec.requireApproval ?? false };
    }),
  };
}

/** A fresh project slug per test, so visibility queries never see another test's runs. */
export function uniqueProject(prefix: string): string {
  return `${prefix}-${ulid().toLowerCase().slice(-10)}`;
}

/** Polls until `check` stops throwing (visibility is eventually consistent) or the deadline passes. */
export async function eventually<T>(check: () => Promise<T>, timeoutMs = 15_000): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    try {
      return await check();
    } catch (error) {
      if (Date.now() > deadline) throw error;
      await new Promise((resolve) => setTimeout(resolve, 200));
    }
  }
}

/** The workflow's own result (its final snapshot); throws WorkflowFailedError for failed or cancelled runs. */
export async function runResult(client: Client, runId: string): Promise<RunSnapshot> {
  return await client.workflow.getHandle<typeof agentRun>(runId).result();
}

export async function historyLength(client: Client, runId: string): Promise<number> {
  const history = await client.workflow.getHandle(runId).fetchHistory();
  return history.events?.length ?? 0;
}
