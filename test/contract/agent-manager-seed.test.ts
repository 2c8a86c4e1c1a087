// The Agent Manager specification ("Automating Multi-Step Agent Workflows"), replayed over HTTP against Baton as
// `baton start` composes it, on the test run's dev server: every documented request body verbatim,
// and every documented response field checked. web_agent and procurator_assistant are the shipped
// llm agents; each step is a real model call to the fake model (see agent-manager-stack.ts).
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { AgentManagerRun, AgentManagerRunDetail, ResumeAccepted, RunAccepted } from '../../src/domain/agent-manager-runs.ts';
import type { SpringPage } from '../../src/domain/definition-input.ts';
import type { Definition } from '../../src/domain/definition.ts';
import type { Step } from '../../src/domain/step.ts';
import { eventually } from '../integration/engine-harness.ts';
import { techNewsBriefingAgents } from '../../src/examples/index.ts';
import { searchResults, startAgentManagerStack, type AgentManagerStack } from './agent-manager-stack.ts';

let stack: AgentManagerStack;
beforeAll(async () => {
  stack = await startAgentManagerStack('am-seed');
});
afterAll(async () => stack?.close());

const call: AgentManagerStack['call'] = (method, path, options) => stack.call(method, path, options);
type RunPage = SpringPage<AgentManagerRun>;

const seedWorkflow = { name: 'Tech News Briefing', description: 'Searches for tech news, summarizes it, and drafts a newsletter section.' };
const seedSteps = [
  { agentId: 'web_agent', action: 'Search for the latest news about artificial intelligence in healthcare', stepOrder: 1 },
  { agentId: 'procurator_assistant', action: 'Summarize the search results into 3 bullet points', stepOrder: 2 },
  { agentId: 'procurator_assistant', action: 'Turn these bullet points into a 2-paragraph newsletter section', stepOrder: 3 },
];
const seedRun = { input: 'artificial intelligence in healthcare 2025', sessionId: 'session-news-001' };
const seedApproved = { output: 'Approved summary: AI is transforming diagnostics and drug discovery.' };
const systemPrompt = (id: string) => techNewsBriefingAgents.flatMap((agent) => (agent.id === id && agent.kind === 'llm' ? [agent.config.system] : []))[0];
const runRowKeys = ['createdAt', 'currentStepOrder', 'durationMs', 'id', 'sessionId', 'status', 'updatedAt', 'workflowId'];

async function createSeedWorkflow(steps: object[] = seedSteps): Promise<string> {
  const created = await call<Definition>('POST', '/api/v1/workflows', { body: seedWorkflow });
  expect(created.status).toBe(200);
  for (const step of steps) expect((await call<Step>('POST', `/api/v1/workflows/${created.json.id}/steps`, { body: step })).status).toBe(200);
  return created.json.id;
}

/** The run's row in its workflow's list, once visibility shows it with `status`. */
async function listedRun(workflowId: string, runId: string, status: string) {
  return await eventually(async () => {
    const page = await call<RunPage>('GET', `/api/v1/workflows/${workflowId}/runs`);
    const row = page.json.content.find((run) => run.id === runId);
    expect(row?.status).toBe(status);
    return { page: page.json, row: row! };
  });
}

describe('the Agent Manager specification: the three-step Tech News Briefing', () => {
  let workflowId: string;
  let runId: string;

  it('creates the workflow and its three steps from the specification bodies', async () => {
    const created = await call<Definition>('POST', '/api/v1/workflows', { body: seedWorkflow });
    expect(created.status).toBe(200);
    expect(created.json).toMatchObject({ id: expect.stringMatching(/^wf-/) as string, ...seedWorkflow });
    workflowId = created.json.id;
    for (const step of seedSteps) {
      const added = await call<Step>('POST', `/api/v1/workflows/${workflowId}/steps`, { body: step });
      expect(added.status).toBe(200);
      expect(added.json).toMatchObject({ ...step, type: 'agent', id: expect.stringMatching(/^st-/) as string });
    }
  });

  it('runs it: 202 with jobId, workflowId and sessionId at once, and the runId', async () => {
    const started = await call<RunAccepted>('POST', `/api/v1/workflows/${workflowId}/run`, { body: seedRun });
    expect(started.status).toBe(202);
    expect(started.json).toStrictEqual({
      jobId: expect.stringMatching(/^job-[0-9a-f-]{36}$/) as string,
      workflowId,
      sessionId: 'session-news-001',
      runId: expect.stringMatching(/^wfr_[0-9A-Z]{26}$/) as string,
    });
    runId = started.json.runId;
    // The jobId names the Temporal execution this start created.
    const description = await stack.client.workflow.getHandle(runId).describe();
    expect(started.json.jobId).toBe(`job-${description.runId}`);
  });

  it('lists the run COMPLETED at step 3 with the specification\'s fields, durationMs = updatedAt − createdAt', async () => {
    const { page, row } = await listedRun(workflowId, runId, 'COMPLETED');
    expect(page).toMatchObject({ totalElements: 1, totalPages: 1 });
    expect(page.content).toHaveLength(1);
    expect(Object.keys(row).sort()).toEqual(runRowKeys);
    expect(row).toMatchObject({ id: runId, workflowId, sessionId: 'session-news-001', currentStepOrder: 3 });
    expect(row.durationMs).toBe(Date.parse(row.updatedAt) - Date.parse(row.createdAt));
    expect(row.durationMs).toBeGreaterThan(0);
    expect(new Date(row.createdAt).toISOString()).toBe(row.createdAt);
  });

  it('shows each step\'s input and output, each output feeding the next step', async () => {
    const run = await call<AgentManagerRunDetail>('GET', `/api/v1/workflows/runs/${runId}`);
    expect(run.status).toBe(200);
    const found = searchResults(seedRun.input);
    const summary = `${seedSteps[1]!.action} <- ${found}`;
    const section = `${seedSteps[2]!.action} <- ${summary}`;
    expect(run.json).toMatchObject({
      id: runId, workflowId, sessionId: 'session-news-001', status: 'COMPLETED', currentStepOrder: 3,
      input: seedRun.input, pendingAction: null, result: section, error: null,
    });
    expect(run.json.steps).toEqual([
      { name: 'step-1', stepOrder: 1, agentId: 'web_agent', status: 'COMPLETED', input: seedRun.input, output: found, startedAt: expect.any(String) as string, completedAt: expect.any(String) as string },
      { name: 'step-2', stepOrder: 2, agentId: 'procurator_assistant', status: 'COMPLETED', input: found, output: summary, startedAt: expect.any(String) as string, completedAt: expect.any(String) as string },
      { name: 'step-3', stepOrder: 3, agentId: 'procurator_assistant', status: 'COMPLETED', input: summary, output: section, startedAt: expect.any(String) as string, completedAt: expect.any(String) as string },
    ]);
    expect(run.json.durationMs).toBe(Date.parse(run.json.updatedAt) - Date.parse(run.json.createdAt));
    // Each step was one call to the model, made with the shipped agent's model, prompt and tools.
    expect(stack.model.requests.map(({ body }) => ({
      model: body.model,
      system: body.messages[0]?.content,
      tools: (body.tools ?? []).map((tool) => tool.function.name),
      instruction: body.messages.at(-1)?.content?.split('\n\n')[0],
    }))).toEqual([
      { model: 'gpt-4o-mini', system: systemPrompt('web_agent'), tools: ['http_request'], instruction: seedSteps[0]!.action },
      { model: 'gpt-4o-mini', system: systemPrompt('procurator_assistant'), tools: [], instruction: seedSteps[1]!.action },
      { model: 'gpt-4o-mini', system: systemPrompt('procurator_assistant'), tools: [], instruction: seedSteps[2]!.action },
    ]);
  });

  it('clones it with all its steps under new ids, then PATCH and step removal change only the copy', async () => {
    const clone = await call<Definition>('POST', `/api/v1/workflows/${workflowId}/clone`);
    expect(clone.status).toBe(200);
    expect(clone.json).toMatchObject({ id: expect.stringMatching(/^wf-/) as string, name: 'Tech News Briefing (Copy)', description: seedWorkflow.description });
    expect(clone.json.id).not.toBe(workflowId);
    const originalSteps = (await call<Step[]>('GET', `/api/v1/workflows/${workflowId}/steps`)).json;
    const copiedSteps = (await call<Step[]>('GET', `/api/v1/workflows/${clone.json.id}/steps`)).json;
    const shape = (step: Step) => ({ ...step, id: undefined });
    expect(copiedSteps.map(shape)).toEqual(originalSteps.map(shape));
    expect(copiedSteps.filter((copied) => originalSteps.some((original) => original.id === copied.id))).toEqual([]);

    const patched = await call<Definition>('PATCH', `/api/v1/workflows/${clone.json.id}`, { body: { name: 'Tech News Briefing (staging)' } });
    expect(patched.status).toBe(200);
    expect(patched.json.name).toBe('Tech News Briefing (staging)');
    expect((await call('DELETE', `/api/v1/workflows/${clone.json.id}/steps/${copiedSteps[2]!.id}`)).status).toBe(204);
    expect((await call<Step[]>('GET', `/api/v1/workflows/${clone.json.id}/steps`)).json).toHaveLength(2);
    expect((await call<Step[]>('GET', `/api/v1/workflows/${workflowId}/steps`)).json).toHaveLength(3);

    // The two-step copy runs two steps; the original's completed run is untouched.
    const started = await call<RunAccepted>('POST', `/api/v1/workflows/${clone.json.id}/run`, { body: { input: 'robotics' } });
    expect(started.status).toBe(202);
    expect(started.json.sessionId).toMatch(/^ses_/);
    const { row } = await listedRun(clone.json.id, started.json.runId, 'COMPLETED');
    expect(row.currentStepOrder).toBe(2);
    expect((await call<AgentManagerRunDetail>('GET', `/api/v1/workflows/runs/${runId}`)).json.steps).toHaveLength(3);
  });
});

describe('the Agent Manager specification: paging run history', () => {
  it('pages 45 runs newest first in pages of 20, 20 and 5', async () => {
    const created = await call<Definition>('POST', '/api/v1/workflows', { body: { name: 'Paged' } });
    const workflowId = created.json.id;
    // An approval step pauses at once, so all 45 runs are open and visibility orders them by start.
    await call('POST', `/api/v1/workflows/${workflowId}/steps`, { body: { type: 'approval', message: 'Go on?', options: ['yes', 'no'] } });
    const started: string[] = [];
    for (let index = 0; index < 45; index++) {
      const run = await call<RunAccepted>('POST', `/api/v1/workflows/${workflowId}/run`, { body: { input: `run ${index}` } });
      expect(run.status).toBe(202);
      started.push(run.json.runId);
    }
    const newestFirst = [...started].reverse();

    const pages = await eventually(async () => {
      const all = await Promise.all([0, 1, 2, 3].map((page) => call<RunPage>('GET', `/api/v1/workflows/${workflowId}/runs?page=${page}&size=20`)));
      for (const page of all) expect(page.json).toMatchObject({ totalElements: 45, totalPages: 3 });
      expect(all.flatMap((page) => page.json.content).every((run) => run.status === 'PAUSED')).toBe(true);
      return all.map((page) => page.json.content.map((run) => run.id));
    }, 30_000);
    expect(pages.map((ids) => ids.length)).toEqual([20, 20, 5, 0]);
    expect(pages.flat()).toEqual(newestFirst);

    const whole = await call<RunPage>('GET', `/api/v1/workflows/${workflowId}/runs?size=100`);
    expect(whole.json.content.map((run) => run.id)).toEqual(newestFirst);
    expect(whole.json).toMatchObject({ totalElements: 45, totalPages: 1 });
    const sevens = await Promise.all([5, 6].map((page) => call<RunPage>('GET', `/api/v1/workflows/${workflowId}/runs?page=${page}&size=7`)));
    expect(sevens.map((page) => page.json.content.map((run) => run.id))).toEqual([newestFirst.slice(35, 42), newestFirst.slice(42)]);
    expect(sevens[0]!.json.totalPages).toBe(7);
  }, 120_000);
});

describe('the Agent Manager specification: resuming a paused workflow', () => {
  it('pauses a requireApproval step, and the approved content it is resumed with becomes the next step\'s input', async () => {
    const workflowId = await createSeedWorkflow([seedSteps[0]!, { ...seedSteps[1]!, requireApproval: true }, seedSteps[2]!]);
    const started = await call<RunAccepted>('POST', `/api/v1/workflows/${workflowId}/run`, { body: seedRun });
    expect(started.status).toBe(202);
    const runId = started.json.runId;

    const { row } = await listedRun(workflowId, runId, 'PAUSED');
    expect(row.currentStepOrder).toBe(2);
    const paused = await call<AgentManagerRunDetail>('GET', `/api/v1/workflows/runs/${runId}`);
    const proposed = `${seedSteps[1]!.action} <- ${searchResults(seedRun.input)}`;
    expect(paused.json).toMatchObject({ status: 'PAUSED', currentStepOrder: 2, result: null, pendingAction: { step: 'step-2', type: 'review', proposedOutput: proposed } });
    expect(paused.json.steps.map((step) => step.status)).toEqual(['COMPLETED', 'RUNNING']);

    const resumed = await call<ResumeAccepted>('POST', `/api/v1/workflows/runs/${runId}/resume`, { body: seedApproved });
    expect(resumed.status).toBe(202);
    expect(resumed.json).toStrictEqual({ jobId: expect.stringMatching(/^job-resume-[0-9A-Z]{26}$/) as string, runId });

    const done = await eventually(async () => {
      const run = await call<AgentManagerRunDetail>('GET', `/api/v1/workflows/runs/${runId}`);
      expect(run.json.status).toBe('COMPLETED');
      return run.json;
    });
    const section = `${seedSteps[2]!.action} <- ${seedApproved.output}`;
    expect(done.steps.map(({ name, status, input, output }) => ({ name, status, input, output }))).toEqual([
      { name: 'step-1', status: 'COMPLETED', input: seedRun.input, output: searchResults(seedRun.input) },
      { name: 'step-2', status: 'COMPLETED', input: searchResults(seedRun.input), output: seedApproved.output },
      { name: 'step-3', status: 'COMPLETED', input: seedApproved.output, output: section },
    ]);
    expect(done).toMatchObject({ result: section, pendingAction: null, currentStepOrder: 3 });
    await listedRun(workflowId, runId, 'COMPLETED');

    // The jobId is the id of the Update that carried the answer, findable in the run's history.
    const history = await stack.client.workflow.getHandle(runId).fetchHistory();
    const updateIds = (history.events ?? []).map((event) => event.workflowExecutionUpdateAcceptedEventAttributes?.acceptedRequest?.meta?.updateId).filter(Boolean);
    expect(updateIds).toEqual([resumed.json.jobId.slice('job-'.length)]);
  });
});
