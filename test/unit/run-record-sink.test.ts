import { describe, expect, it } from 'vitest';
import { createRunRecordSinks } from '../../src/activities/run-record-sink.ts';
import type { RunSnapshot } from '../../src/domain/run.ts';

const paused = {
  runId: 'wfr_1', project: 'acme', definitionId: 'def_1', definitionName: 'd', agent: null, sessionId: 'ses_1', status: 'paused',
  steps: [], currentStepOrder: 2, result: null, pendingAction: null, error: null,
  version: 3, createdAt: '2026-01-01T00:00:00.000Z', updatedAt: '2026-01-01T00:00:01.000Z',
} satisfies RunSnapshot;
const failed = { ...paused, status: 'failed', error: { code: 'step_failed', message: 'the agent answered 500', step: 'fetch' } } satisfies RunSnapshot;

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

  it('gives up once its time is up and says so, without throwing into the worker', async () => {
    let attempts = 0;
    const gaveUp: Array<{ runId: string; error: unknown }> = [];
    const sinks = createRunRecordSinks({ record: async () => { attempts += 1; throw new Error('the store is down'); } }, { retryDelaysMs: [5, 10], budgetMs: 60, onWriteFailed: (snapshot, error) => gaveUp.push({ runId: snapshot.runId, error }) });
    await write(sinks, paused);
    expect(attempts).toBeGreaterThanOrEqual(3);
    expect(gaveUp).toEqual([{ runId: 'wfr_1', error: new Error('the store is down') }]);
  });

  it('does not wait past its time for a write that hangs', async () => {
    const gaveUp: unknown[] = [];
    const sinks = createRunRecordSinks({ record: () => new Promise<boolean>(() => {}) }, { retryDelaysMs: [5], budgetMs: 50, onWriteFailed: (_snapshot, error) => gaveUp.push(error) });
    const began = Date.now();
    await write(sinks, paused);
    expect(Date.now() - began).toBeLessThan(1_000);
    expect(gaveUp).toEqual([new Error('the read model write did not answer in time')]);
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
