import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { RunSnapshot } from '../../src/domain/run.ts';
import { openStore, type Store } from '../../src/store/open-store.ts';
import type { RunChange } from '../../src/store/run-feed.ts';
import { backends, dropSchema, postgresUrl, uniqueProject, uniqueSchema } from './store-backends.ts';

function snapshot(project: string, runId: string, overrides: Partial<RunSnapshot> = {}): RunSnapshot {
  const createdAt = overrides.createdAt ?? '2026-12-01T10:00:00.000Z';
  return {
    runId, project, definitionId: 'lead-router', definitionName: 'Lead router', agent: 'router', sessionId: 'ses_1',
    status: 'running', steps: [], currentStepOrder: 0, result: null, pendingAction: null, error: null, answers: [],
    version: 0, createdAt, updatedAt: createdAt, ...overrides,
  };
}

const paused = { step: 'approve', type: 'confirmation' as const, message: 'Route it?', options: ['approve', 'reject'] };

/** Subscribes at once; resolves with the first `count` notices of `project`. */
async function collect(store: Store, project: string, count: number): Promise<{ arrived: Promise<RunChange[]> }> {
  let done!: (changes: RunChange[]) => void;
  const arrived = new Promise<RunChange[]>((resolve) => (done = resolve));
  const seen: RunChange[] = [];
  const stop = store.runFeed.subscribe((change) => {
    if (change.project !== project) return;
    seen.push(change);
    if (seen.length === count) { stop(); done(seen); }
  });
  await store.runFeed.ready();
  // Wrapped: an async function returning a bare promise would wait for it.
  return { arrived };
}

describe.each(backends)('the run read model on $name', (backend) => {
  let store: Store;
  let dispose: () => Promise<void>;
  beforeAll(async () => {
    ({ store, dispose } = await backend.openFresh());
  });
  afterAll(async () => dispose?.());

  it('keeps the newest version of a run: repeated and late writes change nothing', async () => {
    const project = uniqueProject();
    expect(await store.runs.record(snapshot(project, 'wfr_a', { version: 0 }))).toBe(true);
    expect(await store.runs.record(snapshot(project, 'wfr_a', { version: 3, status: 'paused', pendingAction: paused, currentStepOrder: 2 }))).toBe(true);
    // The same version again (a retried local activity) and an older one (a late API write) do not land.
    expect(await store.runs.record(snapshot(project, 'wfr_a', { version: 3, status: 'running' }))).toBe(false);
    expect(await store.runs.record(snapshot(project, 'wfr_a', { version: 2, status: 'running' }))).toBe(false);
    expect(await store.runs.get(project, 'wfr_a')).toMatchObject({ version: 3, status: 'paused', pendingAction: paused, currentStepOrder: 2 });
    expect(await store.runs.get(uniqueProject(), 'wfr_a')).toBeUndefined();
  });

  it('lists the forks of a run, oldest first, within its project; a later write without the parent keeps it', async () => {
    const project = uniqueProject();
    const forkedFrom = { runId: 'wfr_parent', step: 'review' };
    await store.runs.record(snapshot(project, 'wfr_parent'));
    await store.runs.record(snapshot(project, 'wfr_fork_b', { createdAt: '2026-12-01T10:02:00.000Z', forkedFrom }));
    await store.runs.record(snapshot(project, 'wfr_fork_a', { createdAt: '2026-12-01T10:01:00.000Z', forkedFrom }));
    await store.runs.record(snapshot(uniqueProject(), 'wfr_other', { forkedFrom }));
    await store.runs.record(snapshot(project, 'wfr_fork_a', { createdAt: '2026-12-01T10:01:00.000Z', version: 1 }));
    expect(await store.runs.forksOf(project, 'wfr_parent')).toEqual(['wfr_fork_a', 'wfr_fork_b']);
    expect(await store.runs.forksOf(project, 'wfr_fork_a')).toEqual([]);
    expect(await store.runs.forksOf(uniqueProject(), 'wfr_parent')).toEqual([]);
  });

  it('lists newest first by createdAt then run id, by keyset or offset, with exact counts per filter', async () => {
    const project = uniqueProject();
    const at = (minute: number) => `2026-12-01T10:${String(minute).padStart(2, '0')}:00.000Z`;
    // Two runs share a createdAt: the run id decides between them.
    const rows = [
      snapshot(project, 'wfr_1', { createdAt: at(1), status: 'paused', version: 2 }),
      snapshot(project, 'wfr_2', { createdAt: at(2), status: 'completed', version: 4, agent: null }),
      snapshot(project, 'wfr_3', { createdAt: at(3), status: 'paused', version: 2, definitionId: 'other' }),
      snapshot(project, 'wfr_4', { createdAt: at(3), status: 'failed', version: 2, sessionId: 'ses_2' }),
      snapshot(project, 'wfr_5', { createdAt: at(5), status: 'running', version: 0 }),
    ];
    for (const row of rows) await store.runs.record(row);
    const newest = ['wfr_5', 'wfr_4', 'wfr_3', 'wfr_2', 'wfr_1'];

    const walked: string[] = [];
    let cursor: string | undefined;
    for (;;) {
      const page = await store.runs.list(project, {}, { limit: 2, ...(cursor ? { cursor } : {}) });
      walked.push(...page.runs.map((run) => run.runId));
      if (!page.nextCursor) break;
      cursor = page.nextCursor;
    }
    expect(walked).toEqual(newest);
    expect((await store.runs.list(project, {}, { limit: 5 })).nextCursor).toBeNull();
    expect((await store.runs.list(project, { status: 'paused' }, { limit: 10, order: 'oldest' })).runs.map((run) => run.runId)).toEqual(['wfr_1', 'wfr_3']);
    expect((await store.runs.page(project, {}, { offset: 1, limit: 3 })).map((run) => run.runId)).toEqual(newest.slice(1, 4));

    expect(await store.runs.count(project, {})).toBe(5);
    expect(await store.runs.count(project, { status: 'paused' })).toBe(2);
    expect(await store.runs.count(project, { agent: 'router' })).toBe(4);
    expect(await store.runs.count(project, { definitionId: 'other' })).toBe(1);
    expect(await store.runs.count(project, { sessionId: 'ses_2' })).toBe(1);
    expect(await store.runs.count(uniqueProject(), {})).toBe(0);
    expect([...await store.runs.known(project, ['wfr_1', 'wfr_9'])]).toEqual(['wfr_1']);
  });

  it('refuses a cursor it did not issue', async () => {
    await expect(store.runs.list(uniqueProject(), {}, { limit: 2, cursor: 'bm90LWEtY3Vyc29y' })).rejects.toMatchObject({ code: 'invalid_request' });
  });

  it('stores values PostgreSQL cannot hold as text (NUL) with the replacement character', async () => {
    const project = uniqueProject();
    await store.runs.record(snapshot(project, 'wfr_nul', { result: 'a\u0000b', status: 'completed', version: 1 }));
    expect((await store.runs.get(project, 'wfr_nul'))?.result).toBe('a\ufffdb');
  });

  it('reads back a run whose values were undefined (no input) as its Query would: without those keys', async () => {
    const project = uniqueProject();
    const step = { name: 'copy', stepOrder: 1, type: 'agent' as const, agentId: 'echo', status: 'completed' as const, input: undefined, output: undefined, startedAt: '2026-12-01T10:00:00.000Z', completedAt: '2026-12-01T10:00:01.000Z' };
    await store.runs.record(snapshot(project, 'wfr_u', { result: undefined, steps: [step], status: 'completed', version: 3 }));
    const read = await store.runs.get(project, 'wfr_u');
    expect(read).toMatchObject({ status: 'completed', steps: [{ name: 'copy', status: 'completed' }] });
    expect(read && 'result' in read).toBe(false);
    expect((await store.runs.list(project, {}, { limit: 5 })).runs.map((run) => run.runId)).toEqual(['wfr_u']);
  });

  it('sends a notice for every write that lands, and none for one that does not', async () => {
    const project = uniqueProject();
    const { arrived: notices } = await collect(store, project, 2);
    await store.runs.record(snapshot(project, 'wfr_n', { version: 0 }));
    await store.runs.record(snapshot(project, 'wfr_n', { version: 0 }));
    await store.runs.record(snapshot(project, 'wfr_n', { version: 2, status: 'paused', pendingAction: paused }));
    expect(await notices).toEqual([
      { project, runId: 'wfr_n', version: 0, status: 'running' },
      { project, runId: 'wfr_n', version: 2, status: 'paused' },
    ]);
  });

  it('runs the done-once job marker', async () => {
    const name = `job-${uniqueProject()}`;
    expect(await store.runs.jobDone(name)).toBe(false);
    await store.runs.markJobDone(name);
    await store.runs.markJobDone(name);
    expect(await store.runs.jobDone(name)).toBe(true);
  });
});

describe('the run read model shared by two processes on PostgreSQL', () => {
  it('delivers notices of one store\'s writes to the other (LISTEN/NOTIFY), per schema', async () => {
    const schema = uniqueSchema();
    const writer = await openStore({ databaseUrl: postgresUrl, schema });
    const reader = await openStore({ databaseUrl: postgresUrl, schema });
    const elsewhere = await openStore({ databaseUrl: postgresUrl, schema: uniqueSchema() });
    try {
      const project = uniqueProject();
      const strays: RunChange[] = [];
      elsewhere.runFeed.subscribe((change) => strays.push(change));
      const { arrived: notices } = await collect(reader, project, 2);
      await elsewhere.runFeed.ready();
      await writer.runs.record(snapshot(project, 'wfr_x', { version: 0 }));
      await writer.runs.record(snapshot(project, 'wfr_x', { version: 1, status: 'completed' }));
      expect(await notices).toEqual([
        { project, runId: 'wfr_x', version: 0, status: 'running' },
        { project, runId: 'wfr_x', version: 1, status: 'completed' },
      ]);
      expect(await reader.runs.get(project, 'wfr_x')).toMatchObject({ runId: 'wfr_x' });
      expect(strays).toEqual([]);
    } finally {
      await Promise.all([writer.close(), reader.close(), elsewhere.close()]);
      await dropSchema(schema);
    }
  });
});
