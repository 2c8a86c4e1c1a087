import { describe, expect, it } from 'vitest';
import { durationSchema, durationToMs, maxDurationMs, pauseTimeoutSchema, temporalMs } from '../../src/domain/duration.ts';
import { retryPolicySchema } from '../../src/domain/step.ts';

describe('durations', () => {
  it('converts Temporal-style strings and bare milliseconds', () => {
    expect(durationToMs('30s')).toBe(30_000);
    expect(durationToMs('7d')).toBe(604_800_000);
    expect(durationToMs('250ms')).toBe(250);
    expect(durationToMs('1.5h')).toBe(5_400_000);
    expect(durationToMs(1500)).toBe(1500);
  });

  it('rejects strings that are not durations', () => {
    expect(durationSchema.safeParse('7 days').success).toBe(false);
    expect(durationSchema.safeParse('-1s').success).toBe(false);
    expect(() => durationToMs('soon')).toThrow(/not a duration/);
  });

  it.each([['5\ts'], ['5 s'], [' 5s'], ['5s\n'], ['1e400'], ['1e3s'], ['0s'], ['0.0001s'], ['0ms'], [0], [-1], [1.5], ['05s'], ['0.000s'], ['99999999999999999999d'], ['1234567890ms'], [maxDurationMs + 1], [Number.MAX_SAFE_INTEGER], ['0x10s'], ['５s']])(
    'refuses %j, which Temporal could not run or which is not positive and bounded',
    (value) => {
      expect(durationSchema.safeParse(value).success).toBe(false);
    },
  );

  it('accepts the bounds: 1ms up to 3650 days', () => {
    for (const value of ['1ms', '0.001s', '3650d', '521w', 1, maxDurationMs, '999999999ms']) expect(durationSchema.safeParse(value).success, String(value)).toBe(true);
    expect(pauseTimeoutSchema.safeParse('never').success).toBe(true);
    expect(pauseTimeoutSchema.safeParse('0s').success).toBe(false);
  });

  it('accepts a string past 3650 days, which the workflow runs as 3650 days', () => {
    expect(durationSchema.safeParse('3651d').success).toBe(true);
    expect(temporalMs('3651d')).toBe(maxDurationMs);
    expect(temporalMs('999999999w')).toBe(maxDurationMs);
  });

  it('refuses a retry backoff of zero, which Temporal refuses when the step is scheduled', () => {
    expect(retryPolicySchema.safeParse({ attempts: 3, backoff: '0s', backoffCoefficient: 2 }).success).toBe(false);
    expect(retryPolicySchema.safeParse({ attempts: 3, backoff: 0, backoffCoefficient: 2 }).success).toBe(false);
  });
});

describe('temporalMs', () => {
  it('gives every accepted duration as whole milliseconds', () => {
    expect(temporalMs('30s')).toBe(30_000);
    expect(temporalMs('0.001s')).toBe(1);
    expect(temporalMs(maxDurationMs)).toBe(maxDurationMs);
  });

  it('still reads what older definitions may hold, clamped to what Temporal runs', () => {
    expect(temporalMs('5\ts')).toBe(5000);
    expect(temporalMs(' 2 m ')).toBe(120_000);
    expect(temporalMs('0s')).toBe(1);
    expect(temporalMs(0)).toBe(1);
    expect(temporalMs('99999999999999999999d')).toBe(maxDurationMs);
  });

  it('answers null for what it cannot read at all', () => {
    expect(temporalMs('soon')).toBeNull();
    expect(temporalMs(Number.NaN)).toBeNull();
    expect(temporalMs(Number.POSITIVE_INFINITY)).toBeNull();
    expect(temporalMs({})).toBeNull();
  });
});
