// Where one approval cycle's time goes, on the engine alone: a throwaway dev server, one in-process
// worker (lead-router agents, in-memory sessions), N sequential cycles through the Temporal client,
// then CPU per cycle (dev server, this process) and one run's history with event offsets.
//
//   node test/bench/profile-cycle.ts [cycles=40]
// Not a benchmark (no interleaving, one process for client and worker): a microscope for tuning.
import { openStore } from '../../src/store/open-store.ts';
import { mkdtemp, rm } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { Client, Connection, WithStartWorkflowOperation, WorkflowNotFoundError } from '@temporalio/client';
import { NativeConnection } from '@temporalio/worker';
import { createActivities, createInMemorySessionMemory, createRunRecordSinks } from '../../src/activities/index.ts';
import { createAgentRegistry } from '../../src/agents/agent-registry.ts';
import { registerBuiltinAgents } from '../../src/agents/builtin-agents.ts';
import type { RunStart } from '../../src/domain/run.ts';
import { exampleAsDefinition, leadRouterExample, registerExampleAgents } from '../../src/examples/index.ts';
import { freePort, startDevServer } from '../../src/temporal/dev-server.ts';
import { findTemporalCli } from '../../src/temporal/temporal-cli.ts';
import { newRunId, newSessionId } from '../../src/temporal/run-ids.ts';
import { AGENT_RUN_WORKFLOW, resumeUpdate, settledUpdate, snapshotQuery } from '../../src/workflows/messages.ts';
import { createBatonWorker } from '../../workers/create-worker.ts';
import { benchLead, benchLeadState } from './contender.ts';
import { readCpuMs } from './cpu.ts';
import { median, quantile } from './stats.ts';

const cycles = Number(process.argv[2] ?? 40);
const taskQueue = 'baton-profile';
const dataDir = await mkdtemp(path.join(os.tmpdir(), 'baton-profile-'));
const cli = await findTemporalCli({ homeDir: path.resolve(process.env.BATON_HOME ?? '.baton') });
const server = await startDevServer({ cliPath: cli.path, dbFile: path.join(dataDir, 'temporal.sqlite'), port: await freePort(), uiPort: await freePort(), headless: true,
  ...(process.env.PROFILE_PRAGMAS !== undefined ? { sqlitePragmas: process.env.PROFILE_PRAGMAS.split(',').filter(Boolean) } : {}) });
try {
  const store = await openStore();
  const worker = await createBatonWorker({
    connection: await NativeConnection.connect({ address: server.address }),
    namespace: server.namespace,
    taskQueue,
    activities: createActivities({ agents: registerExampleAgents(registerBuiltinAgents(createAgentRegistry())), sessions: createInMemorySessionMemory(), runs: store.runs }),
    sinks: createRunRecordSinks(store.runs),
  });
  const running = worker.run();
  const client = new Client({ connection: await Connection.connect({ address: server.address }), namespace: server.namespace });
  const definition = exampleAsDefinition(leadRouterExample, 'default');

  const cycle = async () => {
    const runId = newRunId();
    const state = { ...benchLeadState };
    const start: RunStart = { runId, project: 'default', definition, task: benchLead, state, input: { task: benchLead, state }, sessionId: newSessionId(), defaultPauseTimeout: '7d' };
    const t0 = performance.now();
    const paused = await client.workflow.executeUpdateWithStart(settledUpdate, {
      args: [{ project: 'default' }],
      startWorkflowOperation: new WithStartWorkflowOperation(AGENT_RUN_WORKFLOW, { workflowId: runId, taskQueue, args: [start], workflowIdConflictPolicy: 'USE_EXISTING' }),
    });
    const t1 = performance.now();
    const handle = client.workflow.getHandle(runId);
    const accepted = await handle.executeUpdate(resumeUpdate, { args: [{ step: paused.pendingAction!.step, input: 'approve' }, { project: 'default' }] });
    // As RunService.resumeAndWait: a run that finished before the second Update answers the Query.
    const done = await handle.executeUpdate(settledUpdate, { args: [{ afterVersion: accepted.version }] })
      .catch(async (error: unknown) => { if (error instanceof WorkflowNotFoundError) return await handle.query(snapshotQuery); throw error; });
    if (done.status !== 'completed') throw new Error(`run ${runId} ended ${done.status}`);
    return { runId, startMs: t1 - t0, resumeMs: performance.now() - t1 };
  };

  for (let i = 0; i < 10; i++) await cycle(); // warm-up
  const cpu0 = { server: await readCpuMs(server.pid), self: await readCpuMs(process.pid) };
  const began = performance.now();
  const timings: Array<{ runId: string; startMs: number; resumeMs: number }> = [];
  for (let i = 0; i < cycles; i++) timings.push(await cycle());
  const wallS = (performance.now() - began) / 1000;
  const cpu1 = { server: await readCpuMs(server.pid), self: await readCpuMs(process.pid) };
  const legs = (pick: (t: (typeof timings)[number]) => number) => {
    const values = timings.map(pick);
    return `p50 ${median(values).toFixed(1)} ms, p99 ${quantile(values, 0.99).toFixed(1)} ms`;
  };
  console.log(`${cycles} cycles in ${wallS.toFixed(1)} s: ${(cycles / wallS).toFixed(1)} cycles/s; start ${legs((t) => t.startMs)}; resume ${legs((t) => t.resumeMs)}`);
  console.log(`CPU ms/cycle: dev server ${((cpu1.server! - cpu0.server!) / cycles).toFixed(1)}, this process (client + worker) ${((cpu1.self! - cpu0.self!) / cycles).toFixed(1)}`);

  const history = await client.workflow.getHandle(timings.at(-1)!.runId).fetchHistory();
  const events = history.events ?? [];
  const first = Number(events[0]?.eventTime?.seconds ?? 0) * 1000 + (events[0]?.eventTime?.nanos ?? 0) / 1e6;
  console.log(`history of the last run: ${events.length} events`);
  for (const event of events) {
    const at = Number(event.eventTime?.seconds ?? 0) * 1000 + (event.eventTime?.nanos ?? 0) / 1e6;
    const type = Object.keys(event).find((key) => key.endsWith('EventAttributes')) ?? String(event.eventType);
    console.log(`  ${String(event.eventId).padStart(3)} +${(at - first).toFixed(1).padStart(7)} ms  ${type.replace('EventAttributes', '')}`);
  }
  await client.connection.close();
  worker.shutdown();
  await running;
} finally {
  await server.stop();
  await rm(dataDir, { recursive: true, force: true });
}
