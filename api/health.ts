import { createRoute, z } from '@hono/zod-openapi';
import type { Client } from '@temporalio/client';
import proto from '@temporalio/proto';
import { createRouter } from './router.ts';

/** What /readyz checks. Without `temporal`, the engine check fails: an API without an engine is not ready. */
export interface ReadinessChecks {
  temporal?: { client: Client; taskQueue: string };
  /** Resolves when the store answers (e.g. `SELECT 1`); omitted when there is no store. */
  store?: () => Promise<unknown>;
  /** Each check gets this long before it counts as failed. */
  timeoutMs?: number;
}

// A poller counts as live if it polled within this window: long polls last up to ~60 s, and the
// server keeps pollers it has seen for minutes, so the timestamp is what tells a live one.
const POLLER_FRESH_MS = 75_000;

const healthSchema = z.object({ status: z.literal('ok') }).openapi('Health');
const checkSchema = z.object({ ok: z.boolean(), detail: z.string().optional() });
const readinessSchema = z.object({
  status: z.enum(['ready', 'not_ready']),
  checks: z.record(z.string(), checkSchema),
}).openapi('Readiness');

const healthzRoute = createRoute({
  method: 'get',
  path: '/healthz',
  operationId: 'healthz',
  tags: ['health'],
  summary: 'The process is up',
  // Probes carry no API key: load balancers and orchestrators call these.
  security: [],
  responses: { 200: { description: 'Up', content: { 'application/json': { schema: healthSchema } } } },
});

const readyzRoute = createRoute({
  method: 'get',
  path: '/readyz',
  operationId: 'readyz',
  tags: ['health'],
  summary: 'Temporal is reachable, a worker polls the task queue, and the store answers',
  security: [],
  responses: {
    200: { description: 'Ready', content: { 'application/json': { schema: readinessSchema } } },
    503: { description: 'Not ready; `checks` says which check failed', content: { 'application/json': { schema: readinessSchema } } },
  },
});

export function healthRoutes(checks: ReadinessChecks) {
  const app = createRouter();
  app.openapi(healthzRoute, (c) => c.json({ status: 'ok' as const }, 200));
  app.openapi(readyzRoute, async (c) => {
    const results = await runChecks(checks);
    const ready = Object.values(results).every((result) => result.ok);
    return c.json({ status: ready ? ('ready' as const) : ('not_ready' as const), checks: results }, ready ? 200 : 503);
  });
  return app;
}

type CheckResult = z.infer<typeof checkSchema>;

async function runChecks(checks: ReadinessChecks): Promise<Record<string, CheckResult>> {
  const timeoutMs = checks.timeoutMs ?? 3000;
  const entries: Array<[string, () => Promise<string | undefined>]> = [
    // The gRPC deadline bounds this one, so the call has settled (not left retrying) when we answer.
    ['temporal', async () => {
      if (!checks.temporal) throw new Error('no Temporal client configured');
      return await workerPolling(checks.temporal.client, checks.temporal.taskQueue, timeoutMs);
    }],
  ];
  if (checks.store) {
    const store = checks.store;
    entries.push(['store', async () => { await withTimeout(store(), timeoutMs, 'the store'); return undefined; }]);
  }
  const settled = await Promise.all(entries.map(async ([name, check]): Promise<[string, CheckResult]> => {
    try {
      const detail = await check();
      return [name, detail ? { ok: true, detail } : { ok: true }];
    } catch (error) {
      return [name, { ok: false, detail: error instanceof Error ? error.message : String(error) }];
    }
  }));
  return Object.fromEntries(settled);
}

/** Temporal answers AND some worker has recently polled the task queue for workflow tasks. */
async function workerPolling(client: Client, taskQueue: string, timeoutMs: number): Promise<string> {
  let response: proto.temporal.api.workflowservice.v1.IDescribeTaskQueueResponse;
  try {
    response = await client.withDeadline(Date.now() + timeoutMs, () =>
      client.workflowService.describeTaskQueue({
        namespace: client.options.namespace,
        taskQueue: { name: taskQueue, kind: proto.temporal.api.enums.v1.TaskQueueKind.TASK_QUEUE_KIND_NORMAL },
        taskQueueType: proto.temporal.api.enums.v1.TaskQueueType.TASK_QUEUE_TYPE_WORKFLOW,
      }),
    );
  } catch (error) {
    throw new Error(`Temporal unreachable: ${(error as Error).message}`, { cause: error });
  }
  const now = Date.now();
  const live = (response.pollers ?? []).filter((poller) => {
    const seconds = Number(poller.lastAccessTime?.seconds ?? 0);
    return now - seconds * 1000 < POLLER_FRESH_MS;
  });
  if (live.length === 0) throw new Error(`no worker is polling task queue "${taskQueue}"`);
  return `${live.length} worker poller(s) on "${taskQueue}"`;
}

async function withTimeout<T>(promise: Promise<T>, ms: number, what: string): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  try {
    return await Promise.race([
      promise,
      new Promise<never>((_, reject) => { timer = setTimeout(() => reject(new Error(`${what} did not answer within ${ms} ms`)), ms); }),
    ]);
  } finally {
    clearTimeout(timer);
  }
}
