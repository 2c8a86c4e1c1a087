import { createRoute, z } from '@hono/zod-openapi';
import { newUlid } from '../../src/domain/new-ulid.ts';
import {
  agentManagerRunDetailSchema,
  agentManagerRunPageSchema,
  forkRunBodySchema,
  resumeAcceptedSchema,
  resumeRunBodySchema,
  runAcceptedSchema,
  runWorkflowBodySchema,
  toAgentManagerRun,
  toAgentManagerRunDetailWithForks,
} from '../../src/domain/agent-manager-runs.ts';
import { pageQuerySchema, type PageQuery, type SpringPage } from '../../src/domain/definition-input.ts';
import { BatonError } from '../../src/domain/errors.ts';
import { definitionIdSchema } from '../../src/domain/ids.ts';
import { finishedStatuses, idempotencyKeyHeaderSchema, type RunFilter, type RunSummary } from '../../src/domain/run.ts';
import type { Store } from '../../src/store/open-store.ts';
import { idempotentResumeIds } from '../../src/temporal/run-ids.ts';
import { assertSameFork } from '../../src/temporal/run-fork.ts';
import type { RunService } from '../../src/temporal/run-service.ts';
import { createRouter } from '../router.ts';
import { commonErrors, conflict, jsonBody, jsonResponse, pathIdSchema } from './agent-manager-schemas.ts';
import { bodyErrors, engineErrors, errorResponse, notFound, quorumForbidden, resumeConflictCodes } from './openapi-errors.ts';
import { links } from './openapi-links.ts';

export interface AgentManagerRunRoutesDeps {
  store: Pick<Store, 'definitions'>;
  /** How a run start reads its definition (default: the store's); see cacheStartDefinitions. */
  startDefinitions?: Pick<Store['definitions'], 'get'>;
  runs: Pick<RunService, 'start' | 'resume' | 'resumeApplied' | 'get' | 'page' | 'count' | 'forks' | 'prepareFork'>;
}

const tags = ['Agent Manager: runs'];


const runRoute = createRoute({
  method: 'post', path: '/workflows/{id}/run', tags, operationId: 'runWorkflow', summary: 'Execute a workflow asynchronously',
  description:
    'Snapshots the workflow (later edits never reach this run) and starts it; answers 202 at once. `input` is the ' +
    'first step\'s input and the task every agent sees. `jobId` is `job-` + the Temporal execution\'s run id. A retried ' +
    'request with the same Idempotency-Key answers the same run (and jobId), even after it finished.',
  request: { params: z.object({ id: pathIdSchema }), headers: idempotencyKeyHeaderSchema, body: jsonBody(runWorkflowBodySchema) },
  responses: {
    202: {
      ...jsonResponse(runAcceptedSchema, 'The run was started'),
      links: links({
        GetRun: ['getWorkflowRun', { runId: '$response.body#/runId' }],
        ResumeRun: ['resumeWorkflowRun', { runId: '$response.body#/runId' }],
        ForkRun: ['forkWorkflowRun', { runId: '$response.body#/runId' }],
        WatchRun: ['watchWorkflowRun', { runId: '$response.body#/runId' }],
      }),
    },
    ...commonErrors, ...notFound('workflow_not_found'), ...bodyErrors, ...engineErrors,
    // A workflow without steps is a state of the workflow, not a flaw in the request: 409, like other conflicts.
    ...conflict('the Idempotency-Key already started a run of another workflow; workflow_has_no_steps: add a step first'),
  },
});

const listRoute = createRoute({
  method: 'get', path: '/workflows/{workflowId}/runs', tags, operationId: 'listWorkflowRuns', summary: 'List run history for a workflow',
  description:
    'Spring-style pages, newest first by creation time; `totalElements` is exact as of the last pause or end of each run. ' +
    'Pages do not shift while runs change state. Runs of a deleted workflow stay listed.',
  request: { params: z.object({ workflowId: pathIdSchema }), query: pageQuerySchema },
  responses: { 200: jsonResponse(agentManagerRunPageSchema, 'A page of runs'), ...commonErrors, ...notFound('workflow_not_found'), ...engineErrors },
});

const getRoute = createRoute({
  method: 'get', path: '/workflows/runs/{runId}', tags, operationId: 'getWorkflowRun', summary: 'Get a run with each step\'s input and output',
  description:
    'A run whose workflow task keeps failing (it cannot make progress) is `RUNNING` with `error.code` ' +
    '`workflow_task_failing`; its steps cannot be read. A run terminated after its cancellation grace period is ' +
    '`CANCELLED` with `error.code` `terminated`. `answers` is the audit trail of the run\'s resumes (step, answer, ' +
    'comment, who by API key label, when), oldest first. A forked run names its parent in `forkedFrom`; `forks` lists ' +
    'the runs forked from this one, oldest first (absent when there are none).',
  request: { params: z.object({ runId: pathIdSchema }) },
  responses: { 200: jsonResponse(agentManagerRunDetailSchema, 'The run as it stands'), ...commonErrors, ...notFound('run_not_found'), ...engineErrors },
});

const resumeRoute = createRoute({
  method: 'post', path: '/workflows/runs/{runId}/resume', tags, operationId: 'resumeWorkflowRun', summary: 'Resume a paused workflow run',
  description:
    'The output becomes the paused step\'s output and the next step\'s input; for a confirmation or tool approval it must ' +
    'be one of the options. Answers 202 once the engine has accepted it; a rejected resume changes nothing. ' +
    '`jobId` is `job-` + the id of the Temporal Update that applied it. With an `Idempotency-Key` header the same ' +
    'request (key and output) sent again answers 202 with the same jobId, even after the run moved on or finished; ' +
    'without one, a repeat after success is `run_not_paused`. An optional `comment` (why you answered so, at most 4000 ' +
    'characters) is kept with the answer in the run\'s `answers`, beside the API key\'s label and the time; a retry with ' +
    'the same key keeps the first answer\'s comment. An approval step with a `quorum` needs that many different people ' +
    '(by API key label) to choose its counted option: an answer that leaves it unmet is accepted (202) and the run stays ' +
    '`PAUSED`, its `pendingAction.quorum` showing who answered and how many are still needed.',
  request: { params: z.object({ runId: pathIdSchema }), headers: idempotencyKeyHeaderSchema, body: jsonBody(resumeRunBodySchema) },
  responses: {
    202: jsonResponse(resumeAcceptedSchema, 'The answer was applied; the run goes on'),
    ...commonErrors, ...notFound('run_not_found'), ...bodyErrors, ...engineErrors,
    ...quorumForbidden,
    409: errorResponse(resumeConflictCodes),
    422: errorResponse('invalid_resume_input: not one of the options, or fails the step\'s schema (details list them)'),
  },
});

const forkRoute = createRoute({
  method: 'post', path: '/workflows/runs/{runId}/fork', tags, operationId: 'forkWorkflowRun', summary: 'Start a new run from a step of this run',
  description:
    'Starts a new run of the same workflow as this run ran it (its snapshot, input and task, not the workflow as it ' +
    'is now) at step `fromStep` (its name or id), with the outputs of the steps this run ran before it copied (listed ' +
    'in `steps` with `origin: copied`; the step given an `output` has `origin: given`). Without `output` the step runs again on the input it got in this run; ' +
    'with `output` that value is the step\'s output (an approval\'s option, input valid against an input step\'s ' +
    'schema, any JSON for an agent step) and the run goes on from the step\'s `next`. Works on running, paused and ' +
    'finished runs; this run is not changed. A step run more than once (a `next` loop) is forked from its latest run. ' +
    'The fork has a new session; its `forkedFrom` names this run and this run\'s detail lists it in `forks`. Answers ' +
    '202 at once, like a start; a retried request with the same Idempotency-Key answers the same fork.',
  request: { params: z.object({ runId: pathIdSchema }), headers: idempotencyKeyHeaderSchema, body: jsonBody(forkRunBodySchema) },
  responses: {
    202: {
      ...jsonResponse(runAcceptedSchema, 'The fork was started'),
      links: links({
        GetRun: ['getWorkflowRun', { runId: '$response.body#/runId' }],
        ResumeRun: ['resumeWorkflowRun', { runId: '$response.body#/runId' }],
        WatchRun: ['watchWorkflowRun', { runId: '$response.body#/runId' }],
      }),
    },
    ...commonErrors, ...notFound('run_not_found'), ...bodyErrors, ...engineErrors,
    ...conflict('the Idempotency-Key already forked this run from another step; step_not_reached: the run has neither run nor waits on `fromStep`'),
    422: errorResponse('unknown_step: the run\'s workflow has no step `fromStep`; invalid_fork_output: `output` is not one of the approval\'s options, or fails the input step\'s schema (details list why)'),
  },
});

type RunLister = Pick<RunService, 'page' | 'count'>;

/** Page `page` of `size` runs, newest first, from the read model (exact counts, offset pages). */
export async function springPageOfRuns(runs: RunLister, project: string, filter: RunFilter, { page, size }: PageQuery): Promise<SpringPage<RunSummary>> {
  const totalElements = await runs.count(project, filter);
  const totals = { totalElements, totalPages: Math.ceil(totalElements / size) };
  if (page * size >= totalElements) return { content: [], ...totals };
  return { content: await runs.page(project, filter, { offset: page * size, limit: size }), ...totals };
}

/** The Agent Manager API's run endpoints; the app mounts them under `/api/v1` next to the definition routes. */
export function createAgentManagerRunRoutes(deps: AgentManagerRunRoutesDeps) {
  const { definitions } = deps.store;

  /** The workflow exists, or did and left runs behind (a deleted definition's runs stay readable). */
  async function assertWorkflowHasHistory(project: string, workflowId: string): Promise<void> {
    try {
      await definitions.get(project, workflowId);
    } catch (error) {
      if (!(error instanceof BatonError && error.code === 'workflow_not_found')) throw error;
      if (!definitionIdSchema.safeParse(workflowId).success || (await deps.runs.count(project, { definitionId: workflowId })) === 0) throw error;
    }
  }

  return createRouter()
    .openapi(runRoute, async (c) => {
      const project = c.get('project');
      const definition = await (deps.startDefinitions ?? definitions).get(project, c.req.valid('param').id);
      if (definition.steps.length === 0) {
        throw new BatonError('workflow_has_no_steps', `Workflow ${JSON.stringify(definition.id)} has no steps: add one before running it.`, { workflowId: definition.id });
      }
      const { input, sessionId } = c.req.valid('json');
      const idempotencyKey = c.req.valid('header')['idempotency-key'];
      const started = await deps.runs.start({ project, definition, task: input, state: {}, input, ...(sessionId ? { sessionId } : {}), ...(idempotencyKey ? { idempotencyKey } : {}) });
      const jobId = `job-${started.executionRunId ?? started.runId}`;
      return c.json({ jobId, workflowId: definition.id, sessionId: started.sessionId, runId: started.runId }, 202);
    })
    .openapi(listRoute, async (c) => {
      const project = c.get('project');
      const { workflowId } = c.req.valid('param');
      await assertWorkflowHasHistory(project, workflowId);
      const page = await springPageOfRuns(deps.runs, project, { definitionId: workflowId }, c.req.valid('query'));
      return c.json({ ...page, content: page.content.map(toAgentManagerRun) }, 200);
    })
    .openapi(getRoute, async (c) => {
      const project = c.get('project');
      const { runId } = c.req.valid('param');
      const [snapshot, forks] = await Promise.all([deps.runs.get(project, runId), deps.runs.forks(project, runId)]);
      return c.json(toAgentManagerRunDetailWithForks(snapshot, forks), 200);
    })
    .openapi(forkRoute, async (c) => {
      const project = c.get('project');
      const { runId } = c.req.valid('param');
      const body = c.req.valid('json');
      const idempotencyKey = c.req.valid('header')['idempotency-key'];
      const request = await deps.runs.prepareFork(project, runId, { fromStep: body.fromStep, ...('output' in body ? { output: { value: body.output } } : {}) }, { acceptStepIds: true, ...(idempotencyKey ? { idempotencyKey } : {}) });
      const started = await deps.runs.start(request);
      if (idempotencyKey) assertSameFork((started.snapshot ?? (await deps.runs.get(project, started.runId))).forkedFrom, request.fork!, idempotencyKey);
      const jobId = `job-${started.executionRunId ?? started.runId}`;
      return c.json({ jobId, workflowId: request.definition.id, sessionId: started.sessionId, runId: started.runId }, 202);
    })
    .openapi(resumeRoute, async (c) => {
      const project = c.get('project');
      const { runId } = c.req.valid('param');
      const { output, comment } = c.req.valid('json');
      const idempotencyKey = c.req.valid('header')['idempotency-key'];
      // The Update's own id, so the jobId can be found in the run's history; derived from the key, so a repeat finds the first.
      const updateId = idempotencyKey ? idempotentResumeIds(project, runId, idempotencyKey, output).resume : `resume-${newUlid()}`;
      const snapshot = await deps.runs.get(project, runId);
      const pending = snapshot.pendingAction;
      if (snapshot.status !== 'paused' || !pending) {
        // The same request again after it was applied: answer as the first time, not with the state it led to.
        if (idempotencyKey && (await deps.runs.resumeApplied(project, runId, updateId))) return c.json({ jobId: `job-${updateId}`, runId }, 202);
        if (finishedStatuses.includes(snapshot.status)) throw new BatonError('run_finished', `Run is ${snapshot.status}.`, { status: snapshot.status });
        if (snapshot.error?.code === 'workflow_task_failing') throw new BatonError('workflow_task_failing', snapshot.error.message);
        throw new BatonError('run_not_paused', `Run is ${snapshot.status}, not paused.`, { status: snapshot.status });
      }
      // The workflow's validator decides (options, schema, a step answered meanwhile) before anything is recorded.
      await deps.runs.resume(project, runId, { step: pending.step, input: output, ...(comment !== undefined ? { comment } : {}) }, { updateId, by: c.get('caller') });
      return c.json({ jobId: `job-${updateId}`, runId }, 202);
    });
}
