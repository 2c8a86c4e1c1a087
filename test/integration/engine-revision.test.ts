// A run's engine revision: named by its starter in the run's input (no patch marker, no
// TemporalChangeVersion upsert), or, when the worker does not know the name, its own newest revision
// recorded as a patch marker. On the composed runtime and a real dev server.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { AgentContext } from '../../src/domain/agent.ts';
import { newRunId } from '../../src/temporal/run-ids.ts';
import { startInput } from '../../src/temporal/run-history.ts';
import { engineRevisions, newestEngineRevision } from '../../src/workflows/engine-revision.ts';
import { AGENT_RUN_WORKFLOW } from '../../src/workflows/messages.ts';
import { defineRun, eventually, startEngine, uniqueProject, type Engine } from './engine-harness.ts';

let engine: Engine;

beforeAll(async () => {
  engine = await startEngine('engine-revision', {
    agents: { revision_echo: { kind: 'function', run: async (context: AgentContext) => ({ seen: context.input }) } },
  });
});

afterAll(async () => engine?.close());

/** The ids of the patch markers in a run's history, and how many upserts set TemporalChangeVersion. */
async function patchesOf(runId: string): Promise<{ markers: string[]; changeVersionUpserts: number }> {
  const history = await engine.client.workflow.getHandle(runId).fetchHistory();
  const events = history.events ?? [];
  return {
    markers: events.flatMap((event) => {
      const marker = event.markerRecordedEventAttributes;
      const data = marker?.markerName === 'core_patch' ? marker.details?.['patch-data']?.payloads?.[0]?.data : undefined;
      return data ? [(JSON.parse(Buffer.from(data).toString()) as { id: string }).id] : [];
    }),
    changeVersionUpserts: events.filter((event) => event.upsertWorkflowSearchAttributesEventAttributes?.searchAttributes?.indexedFields?.TemporalChangeVersion).length,
  };
}

describe('a run\'s engine revision', () => {
  it('is named in the run\'s input by the API: the run records no patch marker', async () => {
    const project = uniqueProject('revision');
    const done = await engine.runs.startAndWait({ project, definition: defineRun(project, [{ name: 'only', agentId: 'revision_echo' }]), task: 't', state: {}, input: 'x', waitMs: 30_000 });
    expect(done).toMatchObject({ status: 'completed', result: { seen: 'x' } });
    expect((await startInput(engine.client, done.runId))?.engineRevision).toBe(newestEngineRevision);
    expect(await patchesOf(done.runId)).toEqual({ markers: [], changeVersionUpserts: 0 });
  });

  it('is the worker\'s newest, recorded as a marker, when the input names one the worker does not know', async () => {
    const project = uniqueProject('revision-unknown');
    const first = await engine.runs.startAndWait({ project, definition: defineRun(project, [{ name: 'only', agentId: 'revision_echo' }]), task: 't', state: {}, input: 'x', waitMs: 30_000 });
    // The same start as a newer API would send it, under a revision this worker has not heard of.
    const start = { ...(await startInput(engine.client, first.runId))!, runId: newRunId(), startRecorded: false, engineRevision: 'engine-revision-999' };
    const handle = await engine.client.workflow.start(AGENT_RUN_WORKFLOW, { taskQueue: engine.taskQueue, workflowId: start.runId, args: [start] });
    expect(await handle.result()).toMatchObject({ status: 'completed', result: { seen: 'x' } });
    expect(await patchesOf(start.runId)).toEqual({ markers: [engineRevisions[0]!.id], changeVersionUpserts: 1 });
  });

  it('is each run\'s own: a named run and a marked one paused side by side on one worker keep their ways through their resumes', async () => {
    const project = uniqueProject('revision-side');
    const definition = defineRun(project, [
      { type: 'approval', name: 'approve', message: 'Go on?', options: ['yes', 'no'] },
      { name: 'after', agentId: 'revision_echo' },
    ]);
    const named = await engine.runs.startAndWait({ project, definition, task: 't', state: {}, input: 'x', waitMs: 30_000 });
    expect(named.status).toBe('paused');
    const start = { ...(await startInput(engine.client, named.runId))!, runId: newRunId(), engineRevision: 'engine-revision-999' };
    await engine.client.workflow.start(AGENT_RUN_WORKFLOW, { taskQueue: engine.taskQueue, workflowId: start.runId, args: [start] });
    const marked = await eventually(async () => {
      const row = await engine.store.runs.get(project, start.runId);
      expect(row?.status).toBe('paused');
      return row!;
    });
    // Each resume checks changes again (the carried answer, the deadline): the marked run last ran on this worker.
    expect(await engine.runs.resumeAndWait(project, named.runId, { step: 'approve', input: 'yes' }, { waitMs: 30_000 })).toMatchObject({ status: 'completed', result: { seen: 'yes' } });
    expect(await engine.runs.resumeAndWait(project, marked.runId, { step: 'approve', input: 'yes' }, { waitMs: 30_000 })).toMatchObject({ status: 'completed', result: { seen: 'yes' } });
    expect(await patchesOf(named.runId)).toEqual({ markers: [], changeVersionUpserts: 0 });
    expect(await patchesOf(start.runId)).toEqual({ markers: [engineRevisions[0]!.id], changeVersionUpserts: 1 });
  });
});
