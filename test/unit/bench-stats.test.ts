import { describe, expect, it } from 'vitest';
import type { Contender } from '../bench/contender.ts';
import { interleave, runRound, summarizeRounds, type RoundResult } from '../bench/measure.ts';
import { median, quantile, ratio, summarize } from '../bench/stats.ts';

describe('bench stats', () => {
  it('takes the middle value of an odd sample and averages the middle two of an even one', () => {
    expect(median([5, 1, 3])).toBe(3);
    expect(median([4, 1, 3, 2])).toBe(2.5);
    expect(median([7])).toBe(7);
  });

  it('interpolates percentiles between ranks and hits the extremes at 0 and 1', () => {
    const samples = Array.from({ length: 101 }, (_, i) => i); // 0..100
    expect(quantile(samples, 0.99)).toBe(99);
    expect(quantile(samples, 0)).toBe(0);
    expect(quantile(samples, 1)).toBe(100);
    expect(quantile([10, 20], 0.25)).toBe(12.5);
  });

  it('does not reorder the caller’s samples', () => {
    const samples = [3, 1, 2];
    median(samples);
    expect(samples).toEqual([3, 1, 2]);
  });

  it('refuses empty samples and quantiles outside [0, 1]', () => {
    expect(() => median([])).toThrow(RangeError);
    expect(() => summarize([])).toThrow(RangeError);
    expect(() => quantile([1], 1.5)).toThrow(RangeError);
    expect(() => quantile([1], Number.NaN)).toThrow(RangeError);
  });

  it('summarizes min, p50, p99, max and mean', () => {
    const summary = summarize([4, 2, 8, 6]);
    expect(summary).toMatchObject({ n: 4, min: 2, p50: 5, max: 8, mean: 5 });
    expect(summary.p99).toBeCloseTo(7.94, 10);
  });

  it('gives no ratio rather than infinity or zero when a side is missing', () => {
    expect(ratio(3, 2)).toBe(1.5);
    expect(ratio(3, 0)).toBeNull();
    expect(ratio(null, 2)).toBeNull();
    expect(ratio(2, undefined)).toBeNull();
  });
});

describe('bench rounds', () => {
  const fakeContender = (name: string, order: string[]): Contender => {
    let n = 0;
    return {
      name,
      setup: async () => {},
      teardown: async () => {},
      cycle: async () => {
        order.push(name);
        n += 1;
        return { startMs: n, resumeMs: 2 * n };
      },
    };
  };

  it('interleaves contenders round by round, rotating who goes first', async () => {
    const order: string[] = [];
    const results = await interleave([fakeContender('a', order), fakeContender('b', order)], { repeats: 3, cycles: 1, concurrency: 1, warmup: 0 });
    expect(order).toEqual(['a', 'b', 'b', 'a', 'a', 'b']);
    expect(results.get('a')).toHaveLength(3);
  });

  it('runs exactly the requested cycles at the requested concurrency, warm-up untimed', async () => {
    const order: string[] = [];
    const round = await runRound(fakeContender('a', order), { cycles: 7, concurrency: 3, warmup: 2 });
    expect(order).toHaveLength(9);
    expect(round.startMs).toHaveLength(7);
    expect(round.startMs).not.toContain(1); // warm-up cycles 1 and 2 are not recorded
  });

  it('stops starting cycles once the round’s time is up, each client having run at least one', async () => {
    const slow: Contender = {
      name: 'slow',
      setup: async () => {},
      teardown: async () => {},
      cycle: async () => {
        await new Promise((resolve) => setTimeout(resolve, 20));
        return { startMs: 10, resumeMs: 10 };
      },
    };
    const round = await runRound(slow, { cycles: 1000, concurrency: 3, durationMs: 50 });
    expect(round.cycles).toBeGreaterThanOrEqual(3);
    expect(round.cycles).toBeLessThan(30);
    expect(round.startMs).toHaveLength(round.cycles);
    expect(round.throughput).toBeCloseTo(round.cycles / (round.wallMs / 1000), 6);
  });

  it('abandons a round when a cycle fails instead of reporting the cycles that passed', async () => {
    let calls = 0;
    const flaky: Contender = {
      name: 'flaky',
      setup: async () => {},
      teardown: async () => {},
      cycle: async () => {
        calls += 1;
        if (calls === 3) throw new Error('did not pause');
        return { startMs: 1, resumeMs: 1 };
      },
    };
    await expect(runRound(flaky, { cycles: 10, concurrency: 1 })).rejects.toThrow('did not pause');
    expect(calls).toBe(3);
  });

  it('reports the median over rounds of each round’s throughput and leg percentiles', () => {
    const round = (throughput: number, leg: number): RoundResult => ({
      contender: 'a', cycles: 3, concurrency: 1, wallMs: 1, throughput, startMs: [leg, leg, leg], resumeMs: [leg * 2, leg * 2, leg * 2],
    });
    const summary = summarizeRounds([round(10, 5), round(30, 1), round(20, 3)]);
    expect(summary.throughput).toEqual({ median: 20, min: 10, max: 30 });
    expect(summary.start).toEqual({ p50: 3, p99: 3 });
    expect(summary.resume.p50).toBe(6);
  });
});
