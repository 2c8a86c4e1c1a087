import { describe, expect, it } from 'vitest';
import { createRunRecordSinks } from '../../src/activities/run-record-sink.ts';
import type { RunSnapshot } from '../../src/domain/run.ts';

const paused = {
  runId: 'wfr_1', project: 'acme', definitionId: 'def_1', definitionName: 'd', agent: null, sessionId: 'ses_1', status: 'paused',
  steps: [], currentStepOrder: 2, result: null, pendingAction: null, error: null,
  version: 3, createdAt: '2026-01-01T00:00:00.000Z', updatedAt: '2026-01-01T00:00:01.000Z',
} satisfies RunSnapshot;
const failed = { ...paused, status: 'failed', error: { code: 'step_failed', message: 'the agent answered 500', step: 'fetch' } } satisfies RunSnapshot;

async function until(check: () => boolean): Promise<void> {
  while (!check()) await new Promise((resolve) => setTimeout(resolve, 5));
}

// The sink's function as the worker calls it (workflow info first, unused by it).
const write = (sinks: ReturnType<typeof createRunRecordSinks>, snapshot: RunSnapshot) => sinks.readModel.record.fn({} as never, snapshot, null);

describe('the read-model sink', () => {
  it('tries again after a failed write, and is done once one lands', async () => {
    const outcomes: Array<Error | boolean> = [new Error('connection reset'), new Error('connection reset'), true];
    const attempts: RunSnapshot[] = [];
    const gaveUp: unknown[] = [];
    const sinks = createRunRecordSinks({ record: async (snapshot) => { attempts.push(snapshot); const next = outcomes.shift()!; if (next instanceof Error) throw next; return next; } }, { retryDelaysMs: [1, 1, 1], onWriteFailed: (_snapshot, error) => gaveUp.push(error) });
    await write(sinks, paused);
    expect(attempts).toHaveLength(3);
    expect(gaveUp).toEqual([]);
  });

  it('hands the write to the background once its time is up, without throwing into the worker, and it lands once the store is back', async () => {
    let down = true;
    let attempts = 0;
    const stored: RunSnapshot[] = [];
    const deferred: Array<{ runId: string; error: unknown }> = [];
    const caughtUp: RunSnapshot[] = [];
    const gaveUp: unknown[] = [];
    const sinks = createRunRecordSinks({ record: async (snapshot) => { attempts += 1; if (down) throw new Error('the store is down'); stored.push(snapshot); return true; } }, {
      retryDelaysMs: [5, 10], budgetMs: 60, catchUpDelaysMs: [5],
      onWriteDeferred: (snapshot, error) => deferred.push({ runId: snapshot.runId, error }), onCaughtUp: (snapshot) => caughtUp.push(snapshot), onWriteFailed: (_snapshot, error) => gaveUp.push(error),
    });
    await write(sinks, paused);
    expect(attempts).toBeGreaterThanOrEqual(3);
    expect(deferred).toEqual([{ runId: 'wfr_1', error: new Error('the store is down') }]);
    // Still failing in the background: tried again, not given up.
    await until(() => attempts >= 6);
    down = false;
    await until(() => caughtUp.length === 1);
    expect(stored).toEqual([paused]);
    expect(gaveUp).toEqual([]);
  });

  it('gives a background write up once its time there is up', async () => {
    const gaveUp: Array<{ runId: string; error: unknown }> = [];
    const sinks = createRunRecordSinks({ record: async () => { throw new Error('the store is down'); } }, {
      retryDelaysMs: [5], budgetMs: 20, catchUpDelaysMs: [5], catchUpForMs: 50, onWriteFailed: (snapshot, error) => gaveUp.push({ runId: snapshot.runId, error }),
    });
    await write(sinks, paused);
    await until(() => gaveUp.length === 1);
    expect(gaveUp).toEqual([{ runId: 'wfr_1', error: new Error('the store is down') }]);
  });

  it('drops a waiting state once a newer one of the run lands, and gives up the oldest run past its cap', async () => {
    let down = true;
    const stored: RunSnapshot[] = [];
    const gaveUp: string[] = [];
    const sinks = createRunRecordSinks({ record: async (snapshot) => { if (down) throw new Error('the store is down'); stored.push(snapshot); return true; } }, {
      retryDelaysMs: [5], budgetMs: 20, catchUpDelaysMs: [60_000], catchUpMaxRuns: 1, onWriteFailed: (snapshot) => gaveUp.push(`${snapshot.runId} v${snapshot.version}`),
    });
    await write(sinks, paused);
    await write(sinks, { ...paused, runId: 'wfr_2' });
    expect(gaveUp).toEqual(['wfr_1 v3']);
    down = false;
    await write(sinks, { ...paused, runId: 'wfr_2', version: 4, status: 'completed' });
    expect(stored.map((snapshot) => `${snapshot.runId} v${snapshot.version}`)).toEqual(['wfr_2 v4']);
  });

  it('tries one waiting write per round while the store stays down, and the rest once it answers', async () => {
    let down = true;
    const tried: string[] = [];
    const caughtUp: string[] = [];
    const sinks = createRunRecordSinks({ record: async (snapshot) => { tried.push(snapshot.runId); if (down) throw new Error('the store is down'); return true; } }, {
      retryDelaysMs: [5], budgetMs: 10, catchUpDelaysMs: [20], onCaughtUp: (snapshot) => caughtUp.push(snapshot.runId),
    });
    for (const runId of ['wfr_1', 'wfr_2', 'wfr_3']) await write(sinks, { ...paused, runId });
    tried.length = 0;
    await until(() => tried.length >= 3);
    // Three rounds, each stopped at its first failure: the head of the queue, three times.
    expect(tried.slice(0, 3)).toEqual(['wfr_1', 'wfr_1', 'wfr_1']);
    down = false;
    await until(() => caughtUp.length === 3);
    expect(caughtUp).toEqual(['wfr_1', 'wfr_2', 'wfr_3']);
  });

  it('gives up, untried, the waiting writes past their time in a round the store fails', async () => {
    const tried: string[] = [];
    const gaveUp: string[] = [];
    const sinks = createRunRecordSinks({ record: async (snapshot) => { tried.push(snapshot.runId); throw new Error('the store is down'); } }, {
      // The first round comes after all three are past their time.
      retryDelaysMs: [5], budgetMs: 10, catchUpDelaysMs: [150], catchUpForMs: 10, onWriteFailed: (snapshot) => gaveUp.push(snapshot.runId),
    });
    for (const runId of ['wfr_1', 'wfr_2', 'wfr_3']) await write(sinks, { ...paused, runId });
    tried.length = 0;
    await until(() => gaveUp.length === 3);
    expect(gaveUp).toEqual(['wfr_1', 'wfr_2', 'wfr_3']);
    expect(tried).toEqual(['wfr_1']);
  });

  it('does not wait past its time for a write that hangs', async () => {
    const deferred: unknown[] = [];
    const sinks = createRunRecordSinks({ record: () => new Promise<boolean>(() => {}) }, { retryDelaysMs: [5], budgetMs: 50, catchUpDelaysMs: [60_000], onWriteDeferred: (_snapshot, error) => deferred.push(error) });
    const began = Date.now();
    await write(sinks, paused);
    expect(Date.now() - began).toBeLessThan(1_000);
    expect(deferred).toEqual([new Error('the read model write did not answer in time')]);
  });

  it('does not retry a value the store refuses (SQLSTATE class 22)', async () => {
    let attempts = 0;
    const gaveUp: unknown[] = [];
    const refused = Object.assign(new Error('unsupported Unicode escape sequence'), { code: '22P05' });
    const sinks = createRunRecordSinks({ record: async () => { attempts += 1; throw refused; } }, { retryDelaysMs: [1, 1, 1], onWriteFailed: (_snapshot, error) => gaveUp.push(error) });
    await write(sinks, paused);
    expect(attempts).toBe(1);
    expect(gaveUp).toEqual([refused]);
  });

  it('tells of a failed run once: when its write lands, not when a repeated write is a no-op', async () => {
    const landed = [true, false];
    const told: RunSnapshot[] = [];
    const sinks = createRunRecordSinks({ record: async () => landed.shift()! }, { onRunFailed: (snapshot) => told.push(snapshot) });
    await write(sinks, failed);
    await write(sinks, failed);
    expect(told).toEqual([failed]);
  });

  it('is not called while a worker replays history', () => {
    expect(createRunRecordSinks({ record: async () => true }).readModel.record.callDuringReplay).toBe(false);
  });
});
