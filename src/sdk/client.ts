import type {
  V1ListRunsQuery,
  V1ResumeBody,
  V1Run,
  V1RunList,
  V1StartWorkflowBody,
} from '../domain/v1-api.ts';
import type { SpringPage } from '../domain/definition-input.ts';
import type { Webhook, WebhookCreate, WebhookCreated, WebhookDelivery, WebhookPatch } from '../domain/webhook.ts';
import { apiErrorFromResponse } from './api-error.ts';

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
 * import { createClient } from 'baton/sdk'
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
      list: (params = {}) =>
        request('GET', `/v1/workflow-runs${queryString({ ...params })}`),
      get: (runId) => request('GET', runPath(runId)),
      delete: (runId) => request('DELETE', runPath(runId)),
    },
    webhooks: {
      create: (input) => request('POST', '/api/v1/webhooks', { body: input }),
      list: (params = {}) => request('GET', `/api/v1/webhooks${queryString({ ...params })}`),
      get: (id) => request('GET', webhookPath(id)),
      update: (id, patch) => request('PATCH', webhookPath(id), { body: patch }),
      delete: (id) => request('DELETE', webhookPath(id)),
      deliveries: (id, params = {}) => request('GET', `${webhookPath(id)}/deliveries${queryString({ ...params })}`),
    },
  };
}
