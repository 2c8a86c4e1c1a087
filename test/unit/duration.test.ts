import { describe, expect, it } from 'vitest';
import { durationSchema, durationToMs } from '../../src/domain/duration.ts';

describe('durations', () => {
  it('converts Temporal-style strings and bare milliseconds', () => {
    expect(durationToMs('30s')).toBe(30_000);
    expect(durationToMs('7d')).toBe(604_800_000);
    expect(durationToMs('250ms')).toBe(250);
    expect(durationToMs(1500)).toBe(1500);
  });
  it('rejects strings that are not durations', () => {
    expect(durationSchema.safeParse('7 days').success).toBe(false);
    expect(durationSchema.safeParse('-1s').success).toBe(false);
    expect(() => durationToMs('soon')).toThrow(/not a duration/);
  });
});
