// Records the histories test/replay/replay.test.ts replays: `node test/replay/record.ts [name…]`
// (all scenarios, or only the named ones, so older files stay as they were recorded). The runs go
// through the composed runtime (store, API, worker, production activities and agentRun); only the
// model and the http agent's receiver are stand-ins on loopback.
//
// When to re-record: only after a workflow change that is guarded by an engine revision
// (changeApplies, so old histories still replay down the old branch), to add histories that take
// the new branch; keep the old files.
// Never re-record to make a failing replay pass: an unguarded change that breaks these histories
// would break every run in flight in production the same way.
import { execFile } from 'node:child_process';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { promisify } from 'node:util';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { WorkflowFailedError } from '@temporalio/client';
import { createRuntime } from '../../src/cli/runtime.ts';
import { loadConfig } from '../../src/config.ts';
import type { Definition } from '../../src/domain/definition.ts';
import type { RunSnapshot } from '../../src/domain/run.ts';
import type { AgentStep } from '../../src/domain/step.ts';
import { exampleAsDefinition, leadRouterExample } from '../../src/examples/index.ts';
import { freePort, startDevServer } from '../../src/temporal/dev-server.ts';
import { RunService } from '../../src/temporal/run-service.ts';
import { findTemporalCli } from '../../src/temporal/temporal-cli.ts';
import type { agentRun } from '../../src/workflows/agent-run.ts';
import { startOpenAiFake } from '../fakes/openai-fake-server.ts';

const here = path.dirname(fileURLToPath(import.meta.url));
const project = 'replay';
const taskQueue = 'replay-recording';

const cli = await findTemporalCli({ homeDir: path.resolve(process.env.BATON_HOME ?? '.baton'), log: (line) => console.log(`[temporal] ${line}`) });
const dataDir = await mkdtemp(path.join(os.tmpdir(), 'baton-replay-'));
const server = await startDevServer({ cliPath: cli.path, dbFile: path.join(dataDir, 'temporal.sqlite'), port: await freePort(), uiPort: await freePort(), headless: true });

// The outside services, on loopback: an OpenAI-compatible model that asks for the calculator
// once and then answers, and an http agent's receiver that shouts its input back.
const model = await startOpenAiFake((request) => {
  const last = request.body.messages.at(-1);
  return last?.role === 'tool' ? { content: `Answer: ${last.content}` } : { toolCalls: [{ name: 'calculator', arguments: { expression: '6*7' } }] };
});
const receiver = createServer((req, res) => {
  let body = '';
  req.on('data', (chunk: Buffer) => { body += chunk.toString(); });
  req.on('end', () => {
    const context = JSON.parse(body) as { input: unknown };
    res.writeHead(200, { 'content-type': 'application/json' }).end(JSON.stringify({ shouted: String(context.input).toUpperCase() }));
  });
});
await new Promise<void>((resolve) => receiver.listen(0, '127.0.0.1', resolve));
const receiverUrl = `http://127.0.0.1:${(receiver.address() as AddressInfo).port}/agent`;

// Worker-local agents whose failures are the point of the retry scenarios; attempts counted per run.
const attempts = new Map<string, number>();
const attempt = (runId: string) => {
  attempts.set(runId, (attempts.get(runId) ?? 0) + 1);
  return attempts.get(runId)!;
};
// The production composition (store, agents, activities, worker, agentRun) on the recording server.
const runtime = await createRuntime(
  loadConfig({
    TEMPORAL_ADDRESS: server.address,
    TEMPORAL_NAMESPACE: server.namespace,
    BATON_TASK_QUEUE: taskQueue,
    BATON_HOME: dataDir,
    BATON_API_KEYS: `recorder:${project}`,
    BATON_EGRESS_ALLOW: '127.0.0.1',
    PORT: '0',
  }),
  {
    role: 'all',
    extend: {
      agents: (registry) => {
        registry.register('upper', { kind: 'function', run: async (context) => String(context.input).toUpperCase() });
        registry.register('fails-twice', {
          kind: 'function',
          run: async (context) => {
            const call = attempt(context.runId);
            if (call <= 2) throw new Error(`upstream busy (call ${call})`);
            return `answered on call ${call}`;
          },
        });
        registry.register('always-down', { kind: 'function', run: async (context) => { throw new Error(`upstream down (call ${attempt(context.runId)})`); } });
      },
    },
  },
);
const client = runtime.client;
const runs = new RunService({ client, readModel: runtime.store.runs, taskQueue, defaultPauseTimeout: '7d' });
const leadRouter = exampleAsDefinition(leadRouterExample, project);
// The RunService the API uses: it writes the function agents' kinds into the start.
const apiRuns = runtime.runs!;

/** Stores an http or llm agent the way users do, over the API. */
async function createAgent(agent: { id: string; kind: 'http' | 'llm'; config: Record<string, unknown> }): Promise<void> {
  const response = await fetch(`${runtime.urls.api}/api/v1/agents`, { method: 'POST', headers: { authorization: 'Bearer recorder', 'content-type': 'application/json' }, body: JSON.stringify(agent) });
  if (response.status !== 200) throw new Error(`creating agent ${agent.id} answered ${response.status}: ${await response.text()}`);
}

function definition(steps: Definition['steps']): Definition {
  return { id: 'wf-replay', project, name: 'replay', description: null, agent: null, pauseTimeout: null, version: 1, createdAt: new Date(0).toISOString(), updatedAt: new Date(0).toISOString(), steps };
}
const agentStep = (order: number, name: string, agentId: string, action = '', extra: Partial<AgentStep> = {}): AgentStep => ({ id: `st-${order}`, name, stepOrder: order, type: 'agent', agentId, action, requireApproval: false, ...extra });

/**
 * A reviewed agent answer, then an input step answered against its schema: no agent step after
 * either answer. Through `service`: the recorder's own RunService or the API's.
 */
async function reviewAndInput(service: RunService): Promise<string> {
  const steps: Definition['steps'] = [
    { ...agentStep(1, 'draft', 'template', 'Offer for {{state.customer}}'), requireApproval: true },
    { id: 'st-2', name: 'amount', stepOrder: 2, type: 'input', message: 'Amount for {{steps.draft.output}}?', schema: { type: 'number', minimum: 1 } },
  ];
  const paused = await service.startAndWait({ project, definition: definition(steps), task: 't', state: { customer: 'ACME' }, input: null });
  const asked = await service.resumeAndWait(project, paused.runId, { step: 'draft', input: 'Offer for ACME, edited' });
  await service.resumeAndWait(project, asked.runId, { step: 'amount', input: 12 });
  return paused.runId;
}

/** The lead router's approval cycle, approved, through `service`. */
async function leadRouterCycle(service: RunService, leadId: string): Promise<string> {
  const paused = await service.startAndWait({ project, definition: leadRouter, task: 'Route this lead', state: { leadId }, input: null });
  await service.resumeAndWait(project, paused.runId, { step: 'approval', input: 'approve' });
  return paused.runId;
}

const scenarios: Record<string, () => Promise<string>> = {
  async completed() {
    const run = await runs.startAndWait({ project, definition: definition([agentStep(1, 'copy', 'echo'), agentStep(2, 'upper', 'upper'), agentStep(3, 'wrap', 'template', '<{{input}}>')]), task: 't', state: {}, input: 'hello' });
    return run.runId;
  },
  // Recorded before patch session-append-local-activity: recording it again would take the patched branch.
  async resumed() {
    const paused = await runs.startAndWait({ project, definition: leadRouter, task: 'Route this lead', state: { leadId: 'lead-123' }, input: null });
    await runs.resumeAndWait(project, paused.runId, { step: 'approval', input: 'approve' });
    return paused.runId;
  },
  // Since patch session-append-local-activity: the approval's session entry is a local activity (a marker).
  async 'resumed-session-local'() {
    const paused = await runs.startAndWait({ project, definition: leadRouter, task: 'Route this lead', state: { leadId: 'lead-456' }, input: null });
    await runs.resumeAndWait(project, paused.runId, { step: 'approval', input: 'approve' });
    return paused.runId;
  },
  async branched() {
    const paused = await runs.startAndWait({ project, definition: leadRouter, task: 'Route this lead', state: { employees: 20 }, input: null });
    await runs.resumeAndWait(project, paused.runId, { step: 'approval', input: 'reject' });
    return paused.runId;
  },
  async cancelled() {
    const paused = await runs.startAndWait({ project, definition: leadRouter, task: 'Route this lead', state: {}, input: null });
    await runs.cancel(project, paused.runId);
    return paused.runId;
  },
  async 'pause-timeout'() {
    const paused = await runs.startAndWait({ project, definition: { ...leadRouter, pauseTimeout: '1s' }, task: 'Route this lead', state: {}, input: null });
    return paused.runId;
  },
  'review-and-input': () => reviewAndInput(runs),
  async 'llm-tool-approval'() {
    await createAgent({ id: 'calc-bot', kind: 'llm', config: { model: 'fake', baseUrl: model.baseUrl, tools: [{ name: 'calculator', requiresApproval: true }] } });
    const paused = await runs.startAndWait({ project, definition: definition([agentStep(1, 'compute', 'calc-bot', 'What is 6 times 7?')]), task: 't', state: {}, input: null });
    if (paused.pendingAction?.type !== 'tool_approval') throw new Error(`expected a tool approval, got ${JSON.stringify(paused.pendingAction)}`);
    await runs.resumeAndWait(project, paused.runId, { step: 'compute', input: 'approve' });
    return paused.runId;
  },
  async 'http-agent'() {
    await createAgent({ id: 'shouter', kind: 'http', config: { url: receiverUrl } });
    const run = await runs.startAndWait({ project, definition: definition([agentStep(1, 'shout', 'shouter', 'Shout it')]), task: 't', state: {}, input: 'hello' });
    return run.runId;
  },
  async 'retried-step'() {
    const run = await runs.startAndWait({ project, definition: definition([agentStep(1, 'call', 'fails-twice', '', { retry: { attempts: 3, backoff: '100ms', backoffCoefficient: 2 } })]), task: 't', state: {}, input: null });
    return run.runId;
  },
  async 'failed-after-retries'() {
    const run = await runs.startAndWait({ project, definition: definition([agentStep(1, 'call', 'always-down', '', { retry: { attempts: 2, backoff: '100ms', backoffCoefficient: 1 } })]), task: 't', state: {}, input: null });
    return run.runId;
  },
  // Since patch run-read-model: the run records itself (recordRun local activities) at start and at
  // each settle, search attributes change only at settles, and the answer carries who and why.
  async 'read-model-resumed'() {
    const paused = await runs.startAndWait({ project, definition: leadRouter, task: 'Route this lead', state: { leadId: 'lead-789' }, input: null });
    await runs.resumeAndWait(project, paused.runId, { step: 'approval', input: 'approve', comment: 'known customer' }, { by: { via: 'api', label: 'recorder' } });
    return paused.runId;
  },
  // A run whose starter lists it (RunService since startRecorded): no read-model write at start.
  'read-model-listed-by-starter': () => leadRouterCycle(runs, 'lead-790'),
  async 'read-model-cancelled'() {
    const paused = await runs.startAndWait({ project, definition: leadRouter, task: 'Route this lead', state: {}, input: null });
    await runs.cancel(project, paused.runId);
    return paused.runId;
  },
  'read-model-review-and-input': () => reviewAndInput(runs),
  // Since patch function-agent-local-activity: started through the API's RunService, which knows the
  // registry's function agents, so classify and route run as local activities (markers, no activity tasks).
  'function-agent-local': () => leadRouterCycle(apiRuns, 'lead-791'),
  // Since the resumeAndSettle Update: resume-and-wait is one Update that answers at the next settle.
  'resume-and-settle': () => leadRouterCycle(apiRuns, 'lead-792'),
  // Since engine revision 1: one patch marker (and one TemporalChangeVersion upsert) stands for the
  // read model, the session append's changes, function agents as local activities.
  async 'engine-revision'() {
    const paused = await apiRuns.startAndWait({ project, definition: leadRouter, task: 'Route this lead', state: { leadId: 'lead-793' }, input: null });
    await apiRuns.resumeAndWait(project, paused.runId, { step: 'approval', input: 'approve', comment: 'revision one' }, { by: { via: 'api', label: 'recorder' } });
    return paused.runId;
  },
  // Since engine revision 2 (run-fork): a fork of a finished run starts at its step with the earlier
  // output copied; re-run here, so the approval asks again and is answered.
  async 'run-fork'() {
    const parent = await apiRuns.startAndWait({ project, definition: leadRouter, task: 'Route this lead', state: { leadId: 'lead-794' }, input: null });
    await apiRuns.resumeAndWait(project, parent.runId, { step: 'approval', input: 'approve' });
    const forked = await apiRuns.startAndWait(await apiRuns.prepareFork(project, parent.runId, { fromStep: 'approval' }));
    await apiRuns.resumeAndWait(project, forked.runId, { step: 'approval', input: 'escalate' });
    return forked.runId;
  },
  // A fork given the approval's answer: no pause, the run goes on from the answer's `next`.
  async 'run-fork-given'() {
    const parent = await apiRuns.startAndWait({ project, definition: leadRouter, task: 'Route this lead', state: { leadId: 'lead-795' }, input: null });
    await apiRuns.resumeAndWait(project, parent.runId, { step: 'approval', input: 'approve' });
    const forked = await apiRuns.startAndWait(await apiRuns.prepareFork(project, parent.runId, { fromStep: 'approval', output: { value: 'escalate' } }));
    return forked.runId;
  },
  // Since human-step-deadline: reminders while a step waits (recordRun with the run.reminder notice), then a human answers.
  async 'deadline-reminded'() {
    const steps: Definition['steps'] = [{ id: 'st-1', name: 'review', stepOrder: 1, type: 'approval', message: 'Go ahead?', options: ['approve', 'reject'], remindAfter: '300ms', remindEvery: '300ms' }];
    const paused = await apiRuns.startAndWait({ project, definition: definition(steps), task: 't', state: {}, input: 'x' });
    for (let read = paused; (read.pendingAction?.reminders ?? 0) < 2; read = await apiRuns.get(project, paused.runId)) await new Promise((resolve) => setTimeout(resolve, 100));
    await apiRuns.resumeAndWait(project, paused.runId, { step: 'review', input: 'approve' });
    return paused.runId;
  },
  // Each onTimeout: fail (after a reminder), answer for the human, go on at another step.
  async 'deadline-timeout-fail'() {
    const steps: Definition['steps'] = [{ id: 'st-1', name: 'review', stepOrder: 1, type: 'approval', message: 'Go ahead?', options: ['approve', 'reject'], pauseTimeout: '3s', remindAfter: '400ms', onTimeout: 'fail' }];
    return (await apiRuns.startAndWait({ project, definition: definition(steps), task: 't', state: {}, input: 'x' })).runId;
  },
  async 'deadline-timeout-answer'() {
    const steps: Definition['steps'] = [
      { id: 'st-1', name: 'review', stepOrder: 1, type: 'approval', message: 'Go ahead?', options: ['approve', 'reject'], pauseTimeout: '500ms', onTimeout: { answer: 'approve' } },
      agentStep(2, 'after', 'echo'),
    ];
    return (await apiRuns.startAndWait({ project, definition: definition(steps), task: 't', state: {}, input: 'x' })).runId;
  },
  async 'deadline-timeout-goto'() {
    const steps: Definition['steps'] = [
      { id: 'st-1', name: 'review', stepOrder: 1, type: 'approval', message: 'Go ahead?', options: ['approve', 'reject'], pauseTimeout: '500ms', onTimeout: { goto: 'escalate' }, next: { '*': 'end' } },
      agentStep(2, 'escalate', 'upper'),
    ];
    return (await apiRuns.startAndWait({ project, definition: definition(steps), task: 't', state: {}, input: 'x' })).runId;
  },
  async 'branch-fail'() {
    const steps: Definition['steps'] = [
      { id: 'st-1', name: 'review', stepOrder: 1, type: 'approval', message: 'Go ahead?', options: ['approve', 'reject'], next: { reject: 'fail' } },
      agentStep(2, 'after', 'echo'),
    ];
    const paused = await runs.startAndWait({ project, definition: definition(steps), task: 't', state: {}, input: 'x' });
    await runs.resumeAndWait(project, paused.runId, { step: 'review', input: 'reject' });
    return paused.runId;
  },
  // Since engine revision 2 (approval-quorum): two of three people approve; the first answer keeps
  // the run paused and is recorded (recordRun with the run.answered notice), the second resolves it.
  async 'approval-quorum'() {
    const steps: Definition['steps'] = [
      { id: 'st-1', name: 'sign-off', stepOrder: 1, type: 'approval', message: 'Pay it?', options: ['approve', 'reject'], quorum: { required: 2, approvers: ['alice', 'bob', 'carol'] }, next: { reject: 'fail' } },
      agentStep(2, 'after', 'echo'),
    ];
    const paused = await apiRuns.startAndWait({ project, definition: definition(steps), task: 't', state: {}, input: 'x' });
    const partial = await apiRuns.resumeAndWait(project, paused.runId, { step: 'sign-off', input: 'approve' }, { by: { via: 'api', label: 'alice' } });
    if (partial.status !== 'paused' || partial.pendingAction?.type !== 'confirmation' || partial.pendingAction.quorum?.remaining !== 1) throw new Error(`expected a partial quorum, got ${JSON.stringify(partial.pendingAction)}`);
    await apiRuns.resumeAndWait(project, paused.runId, { step: 'sign-off', input: 'approve' }, { by: { via: 'inbox', label: 'bob' } });
    return paused.runId;
  },
  // Both changes in one wait: a quorum's partial answer, a reminder, then the deadline's default answer decides the step.
  async 'approval-quorum-deadline'() {
    const steps: Definition['steps'] = [
      { id: 'st-1', name: 'vote', stepOrder: 1, type: 'approval', message: 'Merge?', options: ['yes', 'no'], quorum: { required: 2 }, pauseTimeout: '2s', remindAfter: '1s', onTimeout: { answer: 'no' } },
      agentStep(2, 'after', 'echo'),
    ];
    const paused = await apiRuns.startAndWait({ project, definition: definition(steps), task: 't', state: {}, input: 'x' });
    await apiRuns.resumeAndWait(project, paused.runId, { step: 'vote', input: 'yes' }, { by: { via: 'api', label: 'alice' } });
    for (let read = paused; read.status !== 'completed'; read = await apiRuns.get(project, paused.runId)) await new Promise((resolve) => setTimeout(resolve, 100));
    return paused.runId;
  },
  // Since engine revision 3 (session-append-carried): the approval's session entry rides with the
  // route step's local activity instead of a local activity of its own.
  'session-carried': () => leadRouterCycle(apiRuns, 'lead-796'),
  // No agent step after the answers: the reviewed answer rides with the next pause's read-model
  // write, the input step's answer with the last one.
  'session-carried-settle': () => reviewAndInput(apiRuns),
  // Since engine revision 4 (read-model-sink): the settles' writes go through the worker's sink,
  // so the lead router cycle has no recordRun local activity left.
  'read-model-sink': () => leadRouterCycle(apiRuns, 'lead-797'),
  // The same under engine revision 4: a settle that carries session entries still writes by the
  // local activity, the others through the sink.
  'read-model-sink-carried': () => reviewAndInput(apiRuns),
  // The starter names the engine revision in the run's input: the lead router cycle with no patch
  // marker and no TemporalChangeVersion upsert.
  'revision-named': () => leadRouterCycle(apiRuns, 'lead-798'),
};

try {
  const only = process.argv.slice(2);
  const unknown = only.filter((name) => !(name in scenarios));
  if (unknown.length > 0) throw new Error(`unknown scenario(s) ${unknown.join(', ')}; known: ${Object.keys(scenarios).join(', ')}`);
  for (const [name, scenario] of Object.entries(scenarios)) {
    if (only.length > 0 && !only.includes(name)) continue;
    const runId = await scenario();
    const handle = client.workflow.getHandle<typeof agentRun>(runId);
    const outcome = await handle.result().then(
      (snapshot: RunSnapshot) => snapshot.status,
      (error: unknown) => {
        if (error instanceof WorkflowFailedError) return `failed: ${error.cause?.message}`;
        throw error;
      },
    );
    // The CLI writes the proto-JSON that Worker.runReplayHistories reads (as the Web UI exports it).
    const { stdout } = await promisify(execFile)(cli.path, ['workflow', 'show', '--workflow-id', runId, '--address', server.address, '--namespace', server.namespace, '--output', 'json'], { maxBuffer: 64 * 1024 * 1024 });
    await writeFile(path.join(here, 'histories', `${name}.json`), stdout);
    console.log(`recorded ${name} (${outcome})`);
  }
} finally {
  await runtime.close();
  await model.close();
  await new Promise((resolve) => receiver.close(resolve));
  await server.stop();
  await rm(dataDir, { recursive: true, force: true });
}
