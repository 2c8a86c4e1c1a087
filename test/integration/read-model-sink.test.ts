// A settle's read-model write goes through the worker's sink: no local activity in the run's
// history, the row written before the settle answers, and a store that fails for a moment retried
// by the worker inside the workflow task. On the composed runtime over PostgreSQL.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { AgentContext } from '../../src/domain/agent.ts';
import type { Store } from '../../src/store/open-store.ts';
import type { RunService } from '../../src/temporal/run-service.ts';
import { defineRun, eventually, runActivityTypes, startEngine, uniqueProject, workflowTaskFailures as taskFailures, type Engine } from './engine-harness.ts';
import { failFirstInserts } from './store-backends.ts';

let engine: Engine;
let store: Store;
let runs: RunService;

beforeAll(async () => {
  engine = await startEngine('read-model-sink', {
    agents: { sink_echo: { kind: 'function', run: async (context: AgentContext) => ({ seen: context.input }) } },
  });
  ({ store, runs } = engine);
});

afterAll(async () => engine?.close());

const activities = (runId: string) => runActivityTypes(engine.client, runId);
const workflowTaskFailures = (runId: string) => taskFailures(engine.client, runId);

const approvalCycle = (project: string) => defineRun(project, [
  { name: 'classify', agentId: 'sink_echo' },
  { type: 'approval', name: 'approve', message: 'Go on?', options: ['approve', 'reject'] },
  { name: 'route', agentId: 'sink_echo' },
]);

describe('the read model written through the worker sink', () => {
  it('holds each settle by the time its answer arrives, and the history has no activity for it', async () => {
    const project = uniqueProject('sink');
    const paused = await runs.startAndWait({ project, definition: approvalCycle(project), task: 't', state: {}, input: 'lead', waitMs: 30_000 });
    expect(paused.status).toBe('paused');
    // Read right after the answer, with no waiting: the worker wrote it before the answer left.
    expect(await store.runs.get(project, paused.runId)).toMatchObject({ status: 'paused', version: paused.version, pendingAction: { step: 'approve' } });

    const done = await runs.resumeAndWait(project, paused.runId, { step: 'approve', input: 'approve' }, { waitMs: 30_000 });
    expect(done.status).toBe('completed');
    expect(await store.runs.get(project, done.runId)).toMatchObject({ status: 'completed', version: done.version, result: { seen: 'approve' } });
    expect(await activities(done.runId)).toEqual(['runAgentStep', 'runAgentStep']);
  });

  it('goes on in the background when the store is down past the workflow task\'s time, so a run\'s last settle still lands', async () => {
    // Seven attempts fail within the sink's 8 s, the first background round fails too, the second lands.
    const project = uniqueProject('sink-late');
    const flaky = await failFirstInserts(engine.stack.config.databaseSchema!, 'runs', 'project', project, 8);
    try {
      const done = await runs.startAndWait({ project, definition: defineRun(project, [{ name: 'only', agentId: 'sink_echo' }]), task: 't', state: {}, input: 'lead', waitMs: 60_000 });
      expect(done.status).toBe('completed');
      await eventually(async () => expect(await store.runs.get(project, done.runId)).toMatchObject({ status: 'completed', version: done.version }), 30_000);
      expect(await flaky.attempts()).toBe(9);
      expect(await workflowTaskFailures(done.runId)).toBe(0);
    } finally {
      await flaky.remove();
    }
  });

  it('is retried by the worker when the store fails for a moment; the start still answers paused, with its row', async () => {
    // A real store failure: PostgreSQL raises on the first two writes of this project's runs.
    const project = uniqueProject('sink-flaky');
    const flaky = await failFirstInserts(engine.stack.config.databaseSchema!, 'runs', 'project', project, 2);
    try {
      const paused = await runs.startAndWait({ project, definition: approvalCycle(project), task: 't', state: {}, input: 'lead', waitMs: 30_000 });
      expect(paused.status).toBe('paused');
      expect(await store.runs.get(project, paused.runId)).toMatchObject({ status: 'paused', version: paused.version });
      // Two refused writes, then the one that landed: all inside the one workflow task.
      expect(await flaky.attempts()).toBe(3);
      expect(await workflowTaskFailures(paused.runId)).toBe(0);
    } finally {
      await flaky.remove();
    }
  });
});
