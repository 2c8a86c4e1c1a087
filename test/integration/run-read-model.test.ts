// The run read model as the workflow writes it, on the real dev server: settles recorded before
// they are answered, stable pages while runs change state, search attributes only at settles, and
// the one-time backfill of runs that never wrote a row.
import pg from 'pg';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { RunSummary } from '../../src/domain/run.ts';
import { springPageOfRuns } from '../../api/routes/workflow-runs.ts';
import { backfillRunReadModel, runBackfillJob } from '../../src/temporal/run-backfill.ts';
import { defineRun, eventually, startEngine, uniqueProject, type Engine } from './engine-harness.ts';
import { postgresUrl } from './store-backends.ts';

let engine: Engine;
beforeAll(async () => {
  engine = await startEngine('read-model');
});
afterAll(async () => engine?.close());

const twoGates = (project: string) => defineRun(project, [
  { type: 'approval', name: 'first', message: 'First?', options: ['go'] },
  { name: 'copy', agentId: 'echo' },
  { type: 'approval', name: 'second', message: 'Second?', options: ['go'] },
]);

/** Raw SQL on the engine's own schema of the test PostgreSQL. */
async function inStoreSchema(work: (db: pg.Client) => Promise<void>): Promise<void> {
  const db = new pg.Client({ connectionString: postgresUrl, options: `-c search_path=${engine.stack.config.databaseSchema}` });
  await db.connect();
  try {
    await work(db);
  } finally {
    await db.end();
  }
}

/** Runs `tasks` with at most `width` at a time. */
async function inBatches<T>(items: readonly T[], width: number, task: (item: T) => Promise<unknown>): Promise<void> {
  const queue = [...items];
  await Promise.all(Array.from({ length: width }, async () => {
    for (let item = queue.shift(); item !== undefined; item = queue.shift()) await task(item);
  }));
}

function expectNewestFirst(runs: RunSummary[]): void {
  for (let index = 1; index < runs.length; index++) {
    const [before, after] = [runs[index - 1]!, runs[index]!];
    const ordered = before.createdAt > after.createdAt || (before.createdAt === after.createdAt && before.runId > after.runId);
    expect(ordered, `${before.runId} (${before.createdAt}) before ${after.runId} (${after.createdAt})`).toBe(true);
  }
}

describe('the run read model', () => {
  it('holds every settle before it is answered: counts are exact at once', async () => {
    const project = uniqueProject('rm-counts');
    const definition = twoGates(project);
    const run = await engine.runs.startAndWait({ project, definition, task: 't', state: {}, input: 'x' });
    expect(run.status).toBe('paused');
    expect(await engine.runs.count(project, { status: 'paused' })).toBe(1);
    expect(await engine.store.runs.get(project, run.runId)).toEqual(run);

    const second = await engine.runs.resumeAndWait(project, run.runId, { step: 'first', input: 'go' });
    expect(second.pendingAction?.step).toBe('second');
    expect(await engine.store.runs.get(project, run.runId)).toEqual(second);
    const done = await engine.runs.resumeAndWait(project, run.runId, { step: 'second', input: 'go' });
    expect(done.status).toBe('completed');
    expect(await engine.runs.count(project, { status: 'completed' })).toBe(1);
    expect(await engine.runs.count(project, { status: 'paused' })).toBe(0);
    expect(await engine.store.runs.get(project, run.runId)).toEqual(done);

    const cancelled = await engine.runs.startAndWait({ project, definition, task: 't', state: {}, input: 'y' });
    await engine.runs.cancel(project, cancelled.runId);
    expect(await engine.runs.count(project, { status: 'cancelled' })).toBe(1);
  });

  it('lists a run its starter answered before it settled: a 202 start, and a start-and-wait past its waitMs', async () => {
    const project = uniqueProject('rm-started');
    const definition = twoGates(project);
    const started = await engine.runs.start({ project, definition, task: 't', state: {}, input: 'x' });
    // An agent step first: the first workflow task schedules it, so nothing has settled at waitMs 0.
    const agentFirst = defineRun(project, [{ name: 'copy', agentId: 'echo' }, { type: 'approval', name: 'gate', message: 'Go?', options: ['go'] }]);
    const running = await engine.runs.startAndWait({ project, definition: agentFirst, task: 't', state: {}, input: 'y', waitMs: 0 });
    expect(running.status).toBe('running');
    const listed = await engine.runs.list(project, {}, { pageSize: 10 });
    expect(listed.runs.map((run) => run.runId)).toEqual([running.runId, started.runId]);
    // The row's createdAt is the run's own, so the list and the run agree.
    expect(listed.runs[1]!.createdAt).toBe((await engine.runs.get(project, started.runId)).createdAt);
    expect(listed.runs[0]!.createdAt).toBe(running.createdAt);
  });

  it('pages without duplicates or gaps, newest first, while runs move between running, paused and completed', async () => {
    const project = uniqueProject('rm-pages');
    const definition = twoGates(project);
    const started = [];
    for (let index = 0; index < 30; index++) started.push(await engine.runs.startAndWait({ project, definition, task: 't', state: {}, input: index }));
    const ids = new Set(started.map((run) => run.runId));

    // Each run goes paused → running → paused (second gate) → running → completed while the pages are read.
    let moving = true;
    const mover = inBatches(started, 3, async (run) => {
      await engine.runs.resumeAndWait(project, run.runId, { step: 'first', input: 'go' });
      await engine.runs.resumeAndWait(project, run.runId, { step: 'second', input: 'go' });
    }).finally(() => { moving = false; });

    let walks = 0;
    do {
      for (const size of [1, 7, 10]) {
        // Cursor pages (the v1 list).
        const walked: RunSummary[] = [];
        let cursor: string | undefined;
        do {
          const page = await engine.runs.list(project, {}, { pageSize: size, ...(cursor ? { cursor } : {}) });
          walked.push(...page.runs);
          cursor = page.nextCursor ?? undefined;
        } while (cursor);
        expect(walked.map((run) => run.runId).sort()).toEqual([...ids].sort());
        expectNewestFirst(walked);

        // Offset pages of the workflow's runs (the Agent Manager list).
        const paged: RunSummary[] = [];
        for (let page = 0; ; page++) {
          const read = await springPageOfRuns(engine.runs, project, { definitionId: definition.id }, { page, size });
          expect(read.totalElements).toBe(30);
          paged.push(...read.content);
          if (page + 1 >= read.totalPages) break;
        }
        expect(paged.map((run) => run.runId).sort()).toEqual([...ids].sort());
        expectNewestFirst(paged);
      }
      walks += 1;
    } while (moving);
    await mover;
    expect(walks).toBeGreaterThan(0);
    expect(await engine.runs.count(project, { status: 'completed' })).toBe(30);
  });

  it('upserts search attributes only when a run pauses or ends', async () => {
    const project = uniqueProject('rm-attrs');
    const run = await engine.runs.startAndWait({ project, definition: twoGates(project), task: 't', state: {}, input: 'x' });
    await engine.runs.resumeAndWait(project, run.runId, { step: 'first', input: 'go' });
    await engine.runs.resumeAndWait(project, run.runId, { step: 'second', input: 'go' });
    const history = await engine.client.workflow.getHandle(run.runId).fetchHistory();
    // Baton's attributes only (the SDK records each patch marker as a TemporalChangeVersion upsert of its own).
    const upserts = (history.events ?? []).filter((event) => 'BatonStatus' in (event.upsertWorkflowSearchAttributesEventAttributes?.searchAttributes?.indexedFields ?? {}));
    // Paused at the first gate, paused at the second (another step), completed.
    expect(upserts).toHaveLength(3);
  });

  it('copies runs that have no row in once, and only once', async () => {
    const project = uniqueProject('rm-backfill');
    const definition = twoGates(project);
    const paused = await engine.runs.startAndWait({ project, definition, task: 't', state: {}, input: 'x' });
    const finished = await engine.runs.startAndWait({ project, definition: defineRun(project, [{ name: 'copy', agentId: 'echo' }]), task: 't', state: {}, input: 1 });
    // As if they had started before the read model existed.
    await inStoreSchema(async (db) => {
      await db.query('delete from runs where project = $1', [project]);
      await db.query('delete from baton_jobs where name = $1', [runBackfillJob]);
    });
    expect(await engine.runs.count(project, {})).toBe(0);

    const outcome = await backfillRunReadModel({ client: engine.client, taskQueue: engine.taskQueue, runs: engine.runs, readModel: engine.store.runs });
    expect(outcome?.recorded).toBeGreaterThanOrEqual(2);
    expect(outcome?.fromVisibility).toBe(0);
    expect(await engine.store.runs.get(project, paused.runId)).toEqual(paused);
    expect(await engine.store.runs.get(project, finished.runId)).toEqual(finished);
    expect(await engine.runs.count(project, {})).toBe(2);
    // Done once: a second start does not walk visibility again.
    expect(await backfillRunReadModel({ client: engine.client, taskQueue: engine.taskQueue, runs: engine.runs, readModel: engine.store.runs })).toBeNull();
  });

  it('takes an answered run out of the paused lists while a resume-and-wait still waits on a slow next step', async () => {
    const project = uniqueProject('rm-answered');
    let release!: () => void;
    const held = new Promise<void>((resolve) => { release = resolve; });
    engine.agents.register('held-until-released', { kind: 'function', run: async (ctx) => { await held; return ctx.input; } });
    const definition = defineRun(project, [
      { type: 'approval', name: 'gate', message: 'Go?', options: ['go'] },
      { name: 'slow', agentId: 'held-until-released' },
    ]);
    const run = await engine.runs.startAndWait({ project, definition, task: 't', state: {}, input: 'x' });
    expect(run.status).toBe('paused');
    const waiting = engine.runs.resumeAndWait(project, run.runId, { step: 'gate', input: 'go' });
    try {
      // The workflow records only settles; the API writes the answered run once no settle came soon.
      await eventually(async () => {
        const row = await engine.store.runs.get(project, run.runId);
        expect([row?.status, row?.pendingAction]).toEqual(['running', null]);
      });
      expect(await engine.runs.count(project, { status: 'paused' })).toBe(0);
    } finally {
      release();
    }
    expect((await waiting).status).toBe('completed');
    expect((await engine.store.runs.get(project, run.runId))?.status).toBe('completed');
  });

  it('writes a run back when a read finds it newer than its row (a row lost, or never written)', async () => {
    const project = uniqueProject('rm-write-back');
    const run = await engine.runs.startAndWait({ project, definition: twoGates(project), task: 't', state: {}, input: 'x' });
    expect(run.status).toBe('paused');
    await inStoreSchema(async (db) => { await db.query('delete from runs where run_id = $1', [run.runId]); });
    expect(await engine.store.runs.get(project, run.runId)).toBeUndefined();
    expect(await engine.runs.get(project, run.runId)).toEqual(run);
    await eventually(async () => expect(await engine.store.runs.get(project, run.runId)).toEqual(run));
  });
});
