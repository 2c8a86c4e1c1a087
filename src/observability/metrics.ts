import { collectDefaultMetrics, Counter, Gauge, Histogram, Registry } from 'prom-client';
import { runStatusSchema, type RunStatus } from '../domain/run.ts';

export type DeliveryOutcome = 'delivered' | 'retrying' | 'failed';

/** How many runs the read model holds in each status now; read at scrape time, never per request. */
export type RunCounts = () => Promise<Partial<Record<RunStatus, number>>>;

/**
 * The API process's metrics, served at GET /metrics. One registry per process role (not prom-client's
 * global one), so several runtimes in one process (tests, embedding) do not collide.
 */
export interface ApiMetrics {
  registry: Registry;
  /** One finished HTTP request: `route` is the matched route pattern (`/v1/runs/:runId`), never the raw path. */
  request(method: string, route: string, status: number, seconds: number): void;
  runStarted(): void;
  runResumed(): void;
  runFinished(status: RunStatus): void;
  webhookDelivery(outcome: DeliveryOutcome, seconds: number): void;
  /** Where `baton_runs` reads its counts; set once the store is open. */
  readRunCounts(counts: RunCounts): void;
}

// Seconds: most API calls answer in milliseconds; waits (`wait=true`, Updates) run up to a minute.
const durationBuckets = [0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 60];

export function createApiMetrics(options: { onCollectError?: (error: Error) => void } = {}): ApiMetrics {
  const registry = new Registry();
  collectDefaultMetrics({ register: registry, prefix: 'baton_' });
  const requests = new Counter({ name: 'baton_http_requests_total', help: 'HTTP requests answered, by method, matched route and status', labelNames: ['method', 'route', 'status'], registers: [registry] });
  const durations = new Histogram({ name: 'baton_http_request_duration_seconds', help: 'Time to the response headers, by method, matched route and status', labelNames: ['method', 'route', 'status'], buckets: durationBuckets, registers: [registry] });
  const started = new Counter({ name: 'baton_runs_started_total', help: 'Runs this API process started', registers: [registry] });
  const resumed = new Counter({ name: 'baton_runs_resumed_total', help: 'Answers to paused runs this API process applied (API and inbox)', registers: [registry] });
  const finished = new Counter({ name: 'baton_runs_finished_total', help: 'Runs that finished, by status, as this API process saw them on the run change feed', labelNames: ['status'], registers: [registry] });
  const deliveries = new Counter({ name: 'baton_webhook_deliveries_total', help: 'Webhook delivery attempts, by outcome: delivered, retrying (will be sent again) or failed (given up)', labelNames: ['outcome'], registers: [registry] });
  const deliveryDurations = new Histogram({ name: 'baton_webhook_delivery_duration_seconds', help: 'Time a webhook delivery attempt took, by outcome', labelNames: ['outcome'], buckets: durationBuckets, registers: [registry] });
  let counts: RunCounts | undefined;
  new Gauge({
    name: 'baton_runs',
    help: 'Runs in the read model now, by status (paused: waiting for an answer)',
    labelNames: ['status'],
    registers: [registry],
    async collect() {
      if (!counts) return;
      try {
        const now = await counts();
        for (const status of runStatusSchema.options) this.set({ status }, now[status] ?? 0);
      } catch (error) {
        // A store that does not answer must not fail the whole scrape; the gauge keeps its last values.
        options.onCollectError?.(error as Error);
      }
    },
  });
  // Zero from the start, so rate() and absent-series alerts work before the first event.
  for (const status of ['completed', 'failed', 'cancelled'] as const) finished.inc({ status }, 0);
  for (const outcome of ['delivered', 'retrying', 'failed'] as const) deliveries.inc({ outcome }, 0);

  return {
    registry,
    request(method, route, status, seconds) {
      const labels = { method, route, status: String(status) };
      requests.inc(labels);
      durations.observe(labels, seconds);
    },
    runStarted: () => started.inc(),
    runResumed: () => resumed.inc(),
    runFinished: (status) => finished.inc({ status }),
    webhookDelivery(outcome, seconds) {
      deliveries.inc({ outcome });
      deliveryDurations.observe({ outcome }, seconds);
    },
    readRunCounts(read) {
      counts = read;
    },
  };
}
