import path from 'node:path';
import type { Client } from '@temporalio/client';
import type { InjectedSinks } from '@temporalio/worker';
import type { MountedRoutes } from '../../api/app.ts';
import { createInboxRoutes } from '../../api/inbox/inbox-routes.ts';
import { createRunEventHub, type RunEventHub } from '../../api/run-event-hub.ts';
import { createAgentRoutes } from '../../api/routes/agents.ts';
import { createProjectSettingsRoutes } from '../../api/routes/project-settings.ts';
import { createV1Routes } from '../../api/routes/v1-routes.ts';
import { createWebhookRoutes, documentWebhookEvents } from '../../api/routes/webhooks.ts';
import { createWorkflowDefinitionRoutes } from '../../api/routes/workflow-definitions.ts';
import { createAgentManagerRunEventRoutes } from '../../api/routes/workflow-run-events.ts';
import { createAgentManagerRunRoutes } from '../../api/routes/workflow-runs.ts';
import { createActivities, createRunRecordSinks, type RunRecordSinks } from '../activities/index.ts';
import { createAgentRegistry, type AgentRegistry, type ResolvedAgent } from '../agents/agent-registry.ts';
import { registerBuiltinAgents } from '../agents/builtin-agents.ts';
import { callHttpAgent } from '../agents/http-agent.ts';
import { createBuiltInToolRegistry } from '../agents/tools/built-in-tools.ts';
import type { ToolRegistry } from '../agents/tools/tool-registry.ts';
import type { Config } from '../config.ts';
import { finishedStatuses, type RunSnapshot } from '../domain/run.ts';
import { errorFields, lineLog, type Logger, silentLogger } from '../observability/logger.ts';
import type { ApiMetrics } from '../observability/metrics.ts';
import { exampleDefinitions, exampleStoredAgents, registerExampleAgents } from '../examples/index.ts';
import { createProjectSecrets, type ProjectSecrets } from '../security/project-secrets.ts';
import { createEgressPolicy, type EgressPolicy } from '../security/egress-policy.ts';
import { openStore, type Store } from '../store/open-store.ts';
import { cacheStartDefinitions } from '../store/definition-cache.ts';
import { cacheProjectSettings } from '../store/project-settings-cache.ts';
import { backfillRunReadModel } from '../temporal/run-backfill.ts';
import { RunService } from '../temporal/run-service.ts';
import { createWebhookSender, type WebhookSender } from '../webhooks/webhook-sender.ts';
import type { RuntimeRole } from './runtime.ts';

/** What the engine adds to a runtime: the pieces that live outside the foundation. */
export interface EngineParts {
  /** Activity implementations for the worker. */
  activities?: object;
  /** The worker's sinks for the workflow (the read model's writes at settles). */
  sinks?: InjectedSinks<RunRecordSinks>;
  /** Resource sub-apps mounted under `/v1` and `/api/v1`, after auth. */
  routes?: MountedRoutes[];
  /** Resolves when the store answers; /readyz reports it as `store`. */
  storeCheck?: () => Promise<unknown>;
  /** Runs on shutdown after the worker and API have stopped (closes the store). */
  close?: () => Promise<void>;
  /** Background work to begin once the worker and API are up (the read model's one-time backfill). */
  afterStart?: () => void;
  /** The store the engine opened (definitions, agents, sessions). */
  store: Store;
  /** Run operations over the runtime's client and task queue (API roles). */
  runs?: RunService;
  /** The operators' inbox at /inbox (API roles). */
  inbox?: ReturnType<typeof createInboxRoutes>;
  /** The open run event streams (SSE) of this API process (API roles). */
  runEvents?: RunEventHub;
}

export interface EngineContext {
  config: Config;
  client: Client;
  role: RuntimeRole;
  log: (line: string) => void;
  /** The process logger: each part logs through a child of it naming the part. */
  logger?: Logger;
  /** The API's metrics (API roles): runs started, resumed and finished, paused now, webhook deliveries. */
  metrics?: ApiMetrics;
  /** Worker-local agents and tools to add to the built-ins (embedding Baton in your own process). */
  extend?: { agents?: (registry: AgentRegistry) => void; tools?: (registry: ToolRegistry) => void };
}

/** Every project the API can serve: one per API key, or `default` when there are none. */
export function configuredProjects(config: Config): string[] {
  return config.apiKeys.size > 0 ? [...new Set(config.apiKeys.values())] : ['default'];
}

/**
 * The one place where the store, the agents, the activities and the API resources are composed;
 * `baton start`, `baton api` and `baton worker` all come through here.
 */
export async function wireEngine(context: EngineContext): Promise<EngineParts> {
  const { config, client, role, log, metrics } = context;
  const logger = context.logger ?? silentLogger();
  const store = await openStore(
    config.databaseUrl
      ? { databaseUrl: config.databaseUrl, schema: config.databaseSchema }
      : { dataDir: path.join(config.home, 'pglite') },
  );
  log(`store: ${store.backend === 'postgres' ? 'PostgreSQL (DATABASE_URL)' : `embedded PGlite in ${path.join(config.home, 'pglite')}`}`);
  try {
    // Examples load only when missing, so an operator's edits survive restarts.
    if (role !== 'worker') await loadExamples(store, configuredProjects(config));

    // Grants come from the config; the values from the worker's own environment, read at call time.
    const secrets = createProjectSecrets({ grants: config.projectSecrets, env: config.env });
    // Every outbound call a tenant can aim (http agents, llm baseUrl, http_request, webhooks) goes through it.
    const egress = createEgressPolicy(config.egressAllow);
    const agents = registerExampleAgents(registerBuiltinAgents(createAgentRegistry({ lookup: storedAgentLookup(store, secrets, egress) })));
    context.extend?.agents?.(agents);
    // API roles send the webhook outbox (workers only fill it); stopped before the store closes.
    let sender: WebhookSender | undefined;
    const parts: EngineParts = {
      store,
      storeCheck: () => store.ping(),
      close: async () => {
        await sender?.stop();
        await store.close();
        await egress.close();
      },
    };

    if (role !== 'api') {
      const tools = createBuiltInToolRegistry({ env: config.env, egress });
      context.extend?.tools?.(tools);
      const runLogger = logger.child({ component: 'runs' });
      const onRunFailed = (snapshot: RunSnapshot) => logFailedRun(runLogger, snapshot);
      parts.activities = createActivities({ agents, sessions: store.sessions, runs: store.runs, llm: { env: config.env, secrets, tools, egress }, onRunFailed });
      parts.sinks = createRunRecordSinks(store.runs, {
        onRunFailed,
        onWriteDeferred: (snapshot, error) => runLogger.warn({ runId: snapshot.runId, version: snapshot.version, error: errorFields(runLogger, error) }, 'the run read model could not be written; trying again in the background'),
        onCaughtUp: (snapshot) => runLogger.info({ runId: snapshot.runId, version: snapshot.version }, 'the run read model caught up'),
        onWriteFailed: (snapshot, error) => runLogger.warn({ runId: snapshot.runId, version: snapshot.version, error: errorFields(runLogger, error) }, 'the run read model could not be written; it catches up at the next settle'),
      });
    }
    if (role !== 'worker') {
      // Only registered (worker-local) agents are known without a store read; those marked `local`
      // (quick in-process code) run as local activities.
      const agentKindOf = (agentId: string) => (agents.runsLocally(agentId) ? 'function' as const : undefined);
      // Starts read project settings from memory; a change through this process drops its entry.
      const startSettings = cacheProjectSettings(store.projectSettings);
      const runs = new RunService({ client, readModel: store.runs, taskQueue: config.taskQueue, defaultPauseTimeout: config.pauseTimeout, projectSettings: (project) => startSettings.get(project), cancelGraceMs: config.cancelGraceMs, agentKindOf, ...(metrics ? { observer: metrics } : {}) });
      parts.runs = runs;
      // Finished runs from the change feed (a run finishes once); paused and the rest counted at scrape.
      metrics?.readRunCounts(() => store.runs.countByStatus());
      const stopCountingFinished = metrics ? store.runFeed.subscribe((change) => { if (finishedStatuses.includes(change.status)) metrics.runFinished(change.status); }) : () => {};
      const runEvents = createRunEventHub({ feed: store.runFeed, runs: store.runs, maxStreams: config.maxEventStreams, log: lineLog(logger.child({ component: 'run-events' })) });
      parts.runEvents = runEvents;
      const stopBackfill = new AbortController();
      let backfill: Promise<void> = Promise.resolve();
      parts.afterStart = () => {
        backfill = backfillRunReadModel({ client, taskQueue: config.taskQueue, runs, readModel: store.runs, signal: stopBackfill.signal }).then(
          (outcome) => { if (outcome && outcome.recorded > 0) log(`run read model: copied ${outcome.recorded} earlier runs in (${outcome.fromVisibility} from visibility only)`); },
          (error: Error) => log(`run read model backfill stopped: ${error.message}; it runs again at the next start`),
        );
      };
      const closeStore = parts.close!;
      parts.close = async () => {
        // Streams end before the store closes under them.
        runEvents.close();
        stopCountingFinished();
        stopBackfill.abort();
        await backfill;
        await closeStore();
      };
      const agentExists = async (project: string, agentId: string) => (await agents.resolve(project, agentId)) !== undefined;
      // Starts read a definition's stamp, and its steps only when it changed; on embedded PGlite,
      // which only this process writes, not even the stamp while this process changed no definition.
      const startDefinitions = cacheStartDefinitions(store.definitions, store.definitionChanges ? { changes: store.definitionChanges } : {});
      parts.routes = [
        ...createV1Routes({ runs, definitions: startDefinitions, store, runEvents, defaultWaitMs: 30_000 }),
        { path: '/api/v1', app: createWorkflowDefinitionRoutes({ store, agentExists }) },
        { path: '/api/v1', app: createAgentManagerRunRoutes({ store, runs, startDefinitions }) },
        { path: '/api/v1', app: createAgentManagerRunEventRoutes({ store, runs, runEvents }) },
        { path: '/api/v1', app: createAgentRoutes({ store, secrets, builtinAgents: () => agents.list().map(({ id, description }) => ({ id, kind: 'function' as const, description })) }) },
        { path: '/api/v1', app: createWebhookRoutes({ store, egress }), document: documentWebhookEvents },
        { path: '/api/v1', app: createProjectSettingsRoutes({ store, serverPauseTimeout: config.pauseTimeout, changed: (project) => startSettings.forget(project) }) },
      ];
      parts.inbox = createInboxRoutes({ runs, store, keys: inboxKeys(config), log: lineLog(logger.child({ component: 'inbox' })) });
      sender = createWebhookSender({ store, egress, log: lineLog(logger.child({ component: 'webhooks' })), ...(metrics ? { observe: (outcome, seconds) => metrics.webhookDelivery(outcome, seconds) } : {}) });
      sender.start();
    }
    return parts;
  } catch (error) {
    await store.close();
    throw error;
  }
}

/** One line per failed run: the step, the code and the message; never the run's input, output or agent config. */
function logFailedRun(logger: Logger, snapshot: RunSnapshot): void {
  const error = snapshot.error;
  logger.warn(
    { runId: snapshot.runId, project: snapshot.project, definitionId: snapshot.definitionId, step: error?.step ?? null, code: error?.code ?? 'unknown' },
    `run ${snapshot.runId} failed${error?.step ? ` at step "${error.step}"` : ''}: ${error?.code ?? 'unknown'}: ${error?.message ?? 'no error recorded'}`,
  );
}

/** Each API key's project and label, for the inbox sign-in: the label names who answered in the audit trail. */
function inboxKeys(config: Config) {
  return new Map([...config.apiKeys].map(([key, project]) => [key, { project, label: config.apiKeyLabels.get(key) ?? null }]));
}

async function loadExamples(store: Store, projects: string[]): Promise<void> {
  for (const project of projects) {
    for (const agent of exampleStoredAgents) {
      if (!(await store.agents.find(project, agent.id))) await store.agents.create(project, agent);
    }
    for (const example of exampleDefinitions) await store.definitions.upsertExample(project, example);
  }
}

/** The store's http and llm agents of a project: http agents run in the agent activity, llm agents in the workflow's tool loop. */
function storedAgentLookup(store: Store, secrets: ProjectSecrets, egress: EgressPolicy) {
  return async (project: string, agentId: string): Promise<ResolvedAgent | undefined> => {
    const agent = await store.agents.find(project, agentId);
    if (!agent) return undefined;
    const description = agent.description ?? null;
    if (agent.kind === 'llm') return { id: agent.id, kind: 'llm', description, config: agent.config };
    const config = agent.config;
    return {
      id: agent.id,
      kind: 'http',
      description,
      run: (agentContext, signal) => callHttpAgent({ agentId: agent.id, config, context: agentContext }, { secrets, egress, signal }),
    };
  };
}
