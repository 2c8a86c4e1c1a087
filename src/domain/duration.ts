import { z } from 'zod';

// Durations are written the way Temporal accepts them ("30s", "15m", "7d"), so the workflow can
// hand them to sleep/condition unchanged; a bare number is milliseconds.
export const durationSchema = z.union([
  z.string().regex(/^\d+(\.\d+)?\s*(ms|s|m|h|d|w)$/, 'a duration such as "30s", "15m", "7d"'),
  z.number().int().nonnegative(),
]);
export type Duration = z.infer<typeof durationSchema>;

export const pauseTimeoutSchema = z.union([durationSchema, z.literal('never')]);
export type PauseTimeout = z.infer<typeof pauseTimeoutSchema>;

const unitMs = { ms: 1, s: 1000, m: 60_000, h: 3_600_000, d: 86_400_000, w: 604_800_000 } as const;

/** Milliseconds of a duration; pure, so workflow code may call it. */
export function durationToMs(duration: Duration): number {
  if (typeof duration === 'number') return duration;
  const match = /^(\d+(?:\.\d+)?)\s*(ms|s|m|h|d|w)$/.exec(duration);
  if (!match) throw new TypeError(`not a duration: ${duration}`);
  return Math.round(Number(match[1]) * unitMs[match[2] as keyof typeof unitMs]);
}
