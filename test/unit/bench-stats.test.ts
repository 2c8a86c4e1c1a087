import { describe, expect, it } from 'vitest';
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
