// Records the histories test/replay/replay.test.ts replays: `node test/replay/record.ts [name…]`
// (all scenarios, or only the named ones, so older files stay as they were recorded).
//
// When to re-record: only after a workflow change that is guarded by patched() (so old histories
// still replay down the old branch), to add histories that take the new branch; keep the old files.
// Never re-record to make a failing replay pass: an unguarded change that breaks these histories
// would break every run in flight in production the same way.
import { execFile } from 'node:child_process';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { promisify } from 'node:util';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { Client, Connection, WorkflowFailedError } from '@temporalio/client';
import { NativeConnection, Worker } from '@temporalio/worker';
import { createActivities, createInMemorySessionMemory } from '../../src/activities/index.ts';
import { createAgentRegistry } from '../../src/agents/agent-registry.ts';
import { registerBuiltinAgents } from '../../src/agents/builtin-agents.ts';
import type { Definition } from '../../src/domain/definition.ts';
import type { RunSnapshot } from '../../src/domain/run.ts';
import { exampleAsDefinition, leadRouterExample, registerExampleAgents } from '../../src/examples/index.ts';
import { freePort, startDevServer } from '../../src/temporal/dev-server.ts';
import { RunService } from '../../src/temporal/run-service.ts';
import { findTemporalCli } from '../../src/temporal/temporal-cli.ts';
import type { agentRun } from '../../src/workflows/agent-run.ts';

const here = path.dirname(fileURLToPath(import.meta.url));
const project = 'replay';
const taskQueue = 'replay-recording';

const cli = await findTemporalCli({ homeDir: path.resolve(process.env.BATON_HOME ?? '.baton'), log: (line) => console.log(`[temporal] ${line}`) });
const dataDir = await mkdtemp(path.join(os.tmpdir(), 'baton-replay-'));
const server = await startDevServer({ cliPath: cli.path, dbFile: path.join(dataDir, 'temporal.sqlite'), port: await freePort(), uiPort: await freePort(), headless: true });
const connection = await Connection.connect({ address: server.address });
const client = new Client({ connection, namespace: server.namespace });
const agents = registerExampleAgents(registerBuiltinAgents(createAgentRegistry()));
agents.register('upper', { kind: 'function', run: async (context) => String(context.input).toUpperCase() });
const worker = await Worker.create({
  connection: await NativeConnection.connect({ address: server.address }),
  namespace: server.namespace,
  taskQueue,
  workflowsPath: fileURLToPath(new URL('../../src/workflows/index.ts', import.meta.url)),
  activities: createActivities({ agents, sessions: createInMemorySessionMemory() }),
});
const runs = new RunService({ client, taskQueue, defaultPauseTimeout: '7d' });
const leadRouter = exampleAsDefinition(leadRouterExample, project);

function definition(steps: Definition['steps']): Definition {
  return { id: 'wf-replay', project, name: 'replay', description: null, agent: null, pauseTimeout: null, version: 1, createdAt: new Date(0).toISOString(), updatedAt: new Date(0).toISOString(), steps };
}
const agentStep = (order: number, name: string, agentId: string, action = '') => ({ id: `st-${order}`, name, stepOrder: order, type: 'agent' as const, agentId, action, requireApproval: false });

const scenarios: Record<string, () => Promise<string>> = {
  async completed() {
    const run = await runs.startAndWait({ project, definition: definition([agentStep(1, 'copy', 'echo'), agentStep(2, 'upper', 'upper'), agentStep(3, 'wrap', 'template', '<{{input}}>')]), task: 't', state: {}, input: 'hello' });
    return run.runId;
  },
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
  async 'review-and-input'() {
    const steps: Definition['steps'] = [
      { ...agentStep(1, 'draft', 'template', 'Offer for {{state.customer}}'), requireApproval: true },
      { id: 'st-2', name: 'amount', stepOrder: 2, type: 'input', message: 'Amount for {{steps.draft.output}}?', schema: { type: 'number', minimum: 1 } },
    ];
    const paused = await runs.startAndWait({ project, definition: definition(steps), task: 't', state: { customer: 'ACME' }, input: null });
    const asked = await runs.resumeAndWait(project, paused.runId, { step: 'draft', input: 'Offer for ACME, edited' });
    await runs.resumeAndWait(project, asked.runId, { step: 'amount', input: 12 });
    return paused.runId;
  },
};

try {
  await worker.runUntil(async () => {
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
  });
} finally {
  await connection.close();
  await server.stop();
  await rm(dataDir, { recursive: true, force: true });
}
