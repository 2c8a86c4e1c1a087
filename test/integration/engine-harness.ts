// What the engine-*.test.ts files share: Baton as `baton start` composes it (see baton-stack.ts)
// with a task queue of its own, its RunService, and a terse way to write definitions.
import { WorkflowNotFoundError, type Client } from '@temporalio/client';
import { ulid } from 'ulid';
import type { FunctionAgentSpec } from '../../src/agents/agent-registry.ts';
import type { Definition } from '../../src/domain/definition.ts';
import type { RunSnapshot } from '../../src/domain/run.ts';
import type { Step } from '../../src/domain/step.ts';
import type { SessionMemory } from '../../src/store/sessions.ts';
import type { agentRun } from '../../src/workflows/agent-run.ts';
import type { RunService } from '../../src/temporal/run-service.ts';
import { startBatonStack, type BatonStack, type BatonStackOptions } from './baton-stack.ts';

export interface Engine {
  client: Client;
  runs: RunService;
  /** Test-only function agents, added to the running worker(s) and any started later. */
  agents: { register(id: string, agent: FunctionAgentSpec): void };
  /** The store's session memory, which the worker's activities write. */
  sessions: SessionMemory;
  store: BatonStack['store'];
  taskQueue: string;
  stack: BatonStack;
  close(): Promise<void>;
}

export async function startEngine(name: string, options: Omit<BatonStackOptions, 'name'> = {}): Promise<Engine> {
  const stack = await startBatonStack({ name: `engine-${name}`, ...options });
  return {
    client: stack.client,
    runs: stack.runs,
    agents: { register: (id, agent) => stack.registerAgent(id, agent) },
    sessions: stack.store.sessions,
    store: stack.store,
    taskQueue: stack.config.taskQueue,
    stack,
    close: () => stack.close(),
  };
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

/** The activities a run ran, in order, by type: local ones (markers) and regular ones alike. */
export async function runActivityTypes(client: Client, runId: string): Promise<string[]> {
  const history = await client.workflow.getHandle(runId).fetchHistory();
  return (history.events ?? []).flatMap((event) => {
    const data = event.markerRecordedEventAttributes?.details?.data?.payloads?.[0]?.data;
    const local = data ? (JSON.parse(Buffer.from(data).toString()) as { activity_type?: string }).activity_type : undefined;
    const type = local ?? event.activityTaskScheduledEventAttributes?.activityType?.name;
    return type ? [type] : [];
  });
}

/** How many of a run's workflow tasks failed (a run stuck on a failing task has some). */
export async function workflowTaskFailures(client: Client, runId: string): Promise<number> {
  const history = await client.workflow.getHandle(runId).fetchHistory();
  return (history.events ?? []).filter((event) => event.workflowTaskFailedEventAttributes).length;
}

/** Whether Temporal holds an execution under this workflow id: read from the server's history store, not from visibility. */
export async function executionExists(client: Client, workflowId: string): Promise<boolean> {
  try {
    await client.workflow.getHandle(workflowId).describe();
    return true;
  } catch (error) {
    if (error instanceof WorkflowNotFoundError) return false;
    throw error;
  }
}
