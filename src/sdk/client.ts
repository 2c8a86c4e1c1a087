import type {
  SpringPage,
  V1ForkBody,
  V1ListRunsQuery,
  V1ResumeBody,
  V1Run,
  V1RunEventsQuery,
  V1RunList,
  V1StartWorkflowBody,
  ProjectSettingsPatch,
  ProjectSettingsView,
  Webhook,
  WebhookCreate,
  WebhookCreated,
  WebhookDelivery,
  WebhookPatch,
} from './api-types.ts';
import { apiErrorFromResponse, BatonApiError } from './api-error.ts';
import { readServerSentEvents, ServerSentEventParser } from './sse.ts';

/** Options of {@link createClient}. */
export interface BatonClientOptions {
  /** Where the Baton API listens, e.g. `http://127.0.0.1:3000` (no `/v1`). */
  baseUrl: string;
  /** Sent as `Authorization: Bearer …`; needed when the server sets BATON_API_KEYS. */
  apiKey?: string;
  /** A fetch implementation; defaults to the global one. */
  fetch?: typeof globalThis.fetch;
}

/** Options of `client.agents.workflow`. */
export interface StartWorkflowOptions extends V1StartWorkflowBody {
  /** Sent as the Idempotency-Key header: a retried start with the same key returns the same run. */
  idempotencyKey?: string;
  /** How long the server waits for the run to settle before answering `running` (default 30000). */
  waitMs?: number;
}

/** Options of `client.workflowRuns.resume`. */
export interface ResumeWorkflowOptions extends V1ResumeBody {
  /** Sent as the Idempotency-Key header: the same resume sent again answers as the first did, never 409 for its own success. */
  idempotencyKey?: string;
  /** How long the server waits for the run to settle again before answering `running`. */
  waitMs?: number;
}

/** Options of `client.workflowRuns.fork`. */
export interface ForkWorkflowRunOptions extends V1ForkBody {
  /** Sent as the Idempotency-Key header: a retried fork with the same key returns the same new run. */
  idempotencyKey?: string;
  /** How long the server waits for the new run to settle before answering `running`. */
  waitMs?: number;
}

/** Options of `client.workflowRuns.watchRun`. */
export interface WatchRunOptions {
  /** Aborting it ends the iteration (without an error) and closes the connection. */
  signal?: AbortSignal;
  /** The id of the last event already seen (`<runId>:<version>`): states up to it are not sent again. */
  lastEventId?: string;
}

/** Options of `client.workflowRuns.watchRuns`: which changes to receive. */
export interface WatchRunsOptions extends Pick<V1RunEventsQuery, 'status' | 'agent'> {
  /** Aborting it ends the iteration (without an error) and closes the connection. */
  signal?: AbortSignal;
}

/** Which page of a list (0-based) and how many per page (1 to 100, default 20). */
export interface PageOptions {
  page?: number;
  size?: number;
}

/** The typed client of the v1 API and the webhooks of the Agent Manager API; build one with {@link createClient}. */
export interface BatonClient {
  agents: {
    /**
     * Starts the workflow published under an agent and resolves once it is paused, completed or
     * failed (or still `running` after `waitMs`).
     *
     * @example
     * const run = await client.agents.workflow('lead-router', {
     *   input: { task: 'Route this lead', state: { leadId: 'lead-123' } },
     * })
     * if (run.output.status === 'paused') console.log(run.output.pendingAction)
     */
    workflow(name: string, options: StartWorkflowOptions): Promise<V1Run>;
  };
  workflowRuns: {
    /**
     * Answers a paused step and resolves once the run settles again. An optional `comment` (why,
     * at most 4000 characters) is kept with the answer in `output.answers`, with your key's label.
     *
     * @example
     * const done = await client.workflowRuns.resume(run.run_id, {
     *   input: { resume: { step: 'approval', input: 'approve', comment: 'Known customer, fine to route' } },
     * })
     * console.log(done.output.status, done.output.result, done.output.answers)
     */
    resume(runId: string, options: ResumeWorkflowOptions): Promise<V1Run>;
    /**
     * Starts a new run from step `fromStep` of this run (its definition snapshot, task and state;
     * the outputs of the steps before it copied) and resolves once it settles. Without `output`
     * the step runs again on the input it got; with `output` that is its output and the run goes on
     * from the next step. The new run names this one in `output.forkedFrom`; this run is unchanged.
     *
     * @example
     * const fork = await client.workflowRuns.fork('wfr_abc123', { fromStep: 'approval', output: 'escalate' })
     * console.log(fork.run_id, fork.output.status, fork.output.forkedFrom)
     */
    fork(runId: string, options: ForkWorkflowRunOptions): Promise<V1Run>;
    /**
     * One page of the project's runs (open runs first, then the most recently closed); pass
     * `next_cursor` back as `cursor` for the next page.
     *
     * @example
     * const page = await client.workflowRuns.list({ status: 'paused', limit: 50 })
     * const next = page.next_cursor ? await client.workflowRuns.list({ status: 'paused', cursor: page.next_cursor }) : null
     */
    list(params?: V1ListRunsQuery): Promise<V1RunList>;
    /**
     * The run as it stands.
     *
     * @example
     * const run = await client.workflowRuns.get('wfr_abc123')
     * console.log(run.output.status)
     */
    get(runId: string): Promise<V1Run>;
    /**
     * Cancels a running or paused run and resolves with it, status `cancelled`; a finished run
     * rejects with a BatonApiError whose code is `run_finished`.
     *
     * @example
     * await client.workflowRuns.delete('wfr_abc123')
     */
    delete(runId: string): Promise<V1Run>;
    /**
     * The run's current state, then each change, over Server-Sent Events; the iteration ends
     * after a completed, failed or cancelled state. A dropped connection is reopened (with the
     * last event id, so no state is repeated); the first connection's error, an error answer
     * such as 404 `run_not_found`, or six failed reconnections in a row reject the iteration.
     *
     * @example
     * for await (const run of client.workflowRuns.watchRun(runId)) {
     *   console.log(run.output.status, run.output.pendingAction?.message)
     * }
     */
    watchRun(runId: string, options?: WatchRunOptions): AsyncIterable<V1Run>;
    /**
     * Every change of the project's runs from now on, over Server-Sent Events, until `signal`
     * aborts; `status` and `agent` keep changes whose new state matches. A dropped connection is
     * reopened, but changes made while it was down are not replayed (list the runs to catch up).
     *
     * @example
     * const stop = new AbortController()
     * for await (const run of client.workflowRuns.watchRuns({ status: 'paused', signal: stop.signal })) {
     *   console.log(run.run_id, 'asks', run.output.pendingAction?.message)
     * }
     */
    watchRuns(options?: WatchRunsOptions): AsyncIterable<V1Run>;
  };
  /** Webhooks of the key's project (the Agent Manager API, `/api/v1/webhooks`). */
  webhooks: {
    /**
     * Creates a webhook: Baton POSTs the run events to `url`, signed with the returned `secret`
     * (shown only here). `events` omitted means all of them.
     *
     * @example
     * const hook = await client.webhooks.create({ url: 'https://hooks.example.com/baton', events: ['run.paused'] })
     * saveSecret(hook.secret)
     */
    create(input: WebhookCreate): Promise<WebhookCreated>;
    /** One page of the project's webhooks, oldest first, without secrets. */
    list(params?: PageOptions): Promise<SpringPage<Webhook>>;
    get(id: string): Promise<Webhook>;
    /** Changes the URL or the events; the secret stays. */
    update(id: string, patch: WebhookPatch): Promise<Webhook>;
    /** Deletes the webhook; deliveries not yet made are dropped. */
    delete(id: string): Promise<void>;
    /**
     * The webhook's recent deliveries, newest first: status, attempts, last answer.
     *
     * @example
     * const { content } = await client.webhooks.deliveries(hook.id)
     * for (const d of content) console.log(d.type, d.runId, d.status, d.attempts, d.lastError)
     */
    deliveries(id: string, params?: PageOptions): Promise<SpringPage<WebhookDelivery>>;
  };
  /** The key's project settings (the Agent Manager API, `/api/v1/settings`): pause timeout and reminders of human steps. */
  settings: {
    /** What the project set, the server's defaults, and what a run starting now uses. */
    get(): Promise<ProjectSettingsView>;
    /**
     * Changes settings (JSON Merge Patch: `null` clears one). Runs started afterwards use them; runs already waiting keep theirs.
     *
     * @example
     * await client.settings.update({ pauseTimeout: '2d', remindAfter: '4h', remindEvery: '1d' })
     */
    update(patch: ProjectSettingsPatch): Promise<ProjectSettingsView>;
  };
}

const finishedRunStatuses: ReadonlySet<string> = new Set(['completed', 'failed', 'cancelled']);
/** Reconnections in a row that may fail before a watch gives up. */
const maxReconnectFailures = 6;
const maxReconnectDelayMs = 30_000;

function sleep(ms: number, signal: AbortSignal | undefined): Promise<void> {
  return new Promise((resolve) => {
    if (signal?.aborted) return resolve();
    const done = () => {
      clearTimeout(timer);
      signal?.removeEventListener('abort', done);
      resolve();
    };
    const timer = setTimeout(done, ms);
    signal?.addEventListener('abort', done, { once: true });
  });
}

/** Worth reconnecting after: the server or a proxy in between is restarting or overloaded. */
function isRetryableStatus(status: number): boolean {
  return status === 502 || status === 503 || status === 504;
}

function queryString(params: Record<string, string | number | undefined>): string {
  const search = new URLSearchParams();
  for (const [key, value] of Object.entries(params)) if (value !== undefined) search.set(key, String(value));
  const text = search.toString();
  return text ? `?${text}` : '';
}

/**
 * Creates a client of Baton's v1 API (the agent-workflow API) and its webhooks. Every method
 * resolves with the documented body or rejects with a {@link BatonApiError}.
 *
 * @example
 * import { createClient } from '@baton/sdk'
 *
 * const client = createClient({ baseUrl: 'http://127.0.0.1:3000', apiKey: process.env.BATON_API_KEY })
 * const run = await client.agents.workflow('lead-router', {
 *   input: { task: 'Route this lead', state: { leadId: 'lead-123' } },
 * })
 */
export function createClient(options: BatonClientOptions): BatonClient {
  const baseUrl = options.baseUrl.replace(/\/+$/, '');
  const fetchImpl = options.fetch ?? globalThis.fetch;

  async function request<T>(method: string, path: string, init: { body?: unknown; headers?: Record<string, string> } = {}): Promise<T> {
    const headers: Record<string, string> = { accept: 'application/json', ...init.headers };
    if (options.apiKey) headers.authorization = `Bearer ${options.apiKey}`;
    if (init.body !== undefined) headers['content-type'] = 'application/json';
    const response = await fetchImpl(`${baseUrl}${path}`, {
      method,
      headers,
      body: init.body === undefined ? undefined : JSON.stringify(init.body),
    });
    if (!response.ok) throw await apiErrorFromResponse(response);
    if (response.status === 204) return undefined as T;
    return (await response.json()) as T;
  }

  const runPath = (runId: string) => `/v1/workflow-runs/${encodeURIComponent(runId)}`;
  const webhookPath = (id: string) => `/api/v1/webhooks/${encodeURIComponent(id)}`;

  /**
   * The runs an event stream sends, reconnecting when it ends or drops. `oneRun` streams end for
   * good after a finished state or a 204 (the client already has the final state).
   */
  async function* watch(path: string, init: { signal?: AbortSignal; lastEventId?: string; oneRun: boolean }): AsyncGenerator<V1Run> {
    const { signal } = init;
    let lastEventId = init.lastEventId;
    let retryMs: number | undefined;
    let connected = false;
    let failures = 0;
    for (;;) {
      if (signal?.aborted) return;
      const headers: Record<string, string> = { accept: 'text/event-stream' };
      if (options.apiKey) headers.authorization = `Bearer ${options.apiKey}`;
      if (lastEventId) headers['last-event-id'] = lastEventId;
      let failure: Error | undefined;
      try {
        const response = await fetchImpl(`${baseUrl}${path}`, { headers, signal });
        if (init.oneRun && response.status === 204) return;
        if (!response.ok) {
          const error = await apiErrorFromResponse(response);
          if (!connected || !isRetryableStatus(response.status)) throw error;
          failure = error;
        } else {
          if (!response.body) throw new BatonApiError({ code: 'http_error', status: response.status, message: 'The event stream has no body.' });
          connected = true;
          failures = 0;
          // A parser per connection: a dropped one may leave half an event behind.
          const parser = new ServerSentEventParser();
          try {
            for await (const event of readServerSentEvents(response.body, parser)) {
              if (event.event !== 'run') continue;
              lastEventId = event.id || lastEventId;
              const run = JSON.parse(event.data) as V1Run;
              yield run;
              if (init.oneRun && finishedRunStatuses.has(run.output.status)) return;
            }
          } finally {
            retryMs = parser.retryMs ?? retryMs;
          }
        }
      } catch (error) {
        if (signal?.aborted) return;
        // An answer from the server (404, 401) is final; so is failing to reach it at all the first time.
        if (error instanceof BatonApiError || !connected) throw error;
        failure = error instanceof Error ? error : new Error(String(error));
      }
      if (failure !== undefined && ++failures >= maxReconnectFailures) throw failure;
      // Ended (timeout, restart) or dropped: reconnect after the server's `retry:`, longer after each failure.
      await sleep(Math.min((retryMs ?? 1_000) * 2 ** failures, maxReconnectDelayMs), signal);
    }
  }

  return {
    agents: {
      workflow: (name, { input, idempotencyKey, waitMs }) =>
        request('POST', `/v1/agents/${encodeURIComponent(name)}/workflow${queryString({ waitMs })}`, {
          body: { input },
          headers: idempotencyKey ? { 'idempotency-key': idempotencyKey } : {},
        }),
    },
    workflowRuns: {
      resume: (runId, { input, idempotencyKey, waitMs }) =>
        request('POST', `${runPath(runId)}/resume${queryString({ waitMs })}`, {
          body: { input },
          headers: idempotencyKey ? { 'idempotency-key': idempotencyKey } : {},
        }),
      fork: (runId, { fromStep, output, idempotencyKey, waitMs }) =>
        request('POST', `${runPath(runId)}/fork${queryString({ waitMs })}`, {
          body: output === undefined ? { fromStep } : { fromStep, output },
          headers: idempotencyKey ? { 'idempotency-key': idempotencyKey } : {},
        }),
      list: (params = {}) =>
        request('GET', `/v1/workflow-runs${queryString({ ...params })}`),
      get: (runId) => request('GET', runPath(runId)),
      delete: (runId) => request('DELETE', runPath(runId)),
      watchRun: (runId, { signal, lastEventId } = {}) => watch(`${runPath(runId)}/events`, { signal, lastEventId, oneRun: true }),
      watchRuns: ({ signal, status, agent } = {}) => watch(`/v1/workflow-runs/events${queryString({ status, agent })}`, { signal, oneRun: false }),
    },
    webhooks: {
      create: (input) => request('POST', '/api/v1/webhooks', { body: input }),
      list: (params = {}) => request('GET', `/api/v1/webhooks${queryString({ ...params })}`),
      get: (id) => request('GET', webhookPath(id)),
      update: (id, patch) => request('PATCH', webhookPath(id), { body: patch }),
      delete: (id) => request('DELETE', webhookPath(id)),
      deliveries: (id, params = {}) => request('GET', `${webhookPath(id)}/deliveries${queryString({ ...params })}`),
    },
    settings: {
      get: () => request('GET', '/api/v1/settings'),
      update: (patch) => request('PATCH', '/api/v1/settings', { body: patch }),
    },
  };
}
