import { z } from 'zod';
import { durationPattern, durationToMs, maxDurationMs } from './duration-ms.ts';

export { durationToMs, maxDurationMs, temporalMs } from './duration-ms.ts';

/**
 * A duration such as "30s", "15m", "7d", or a bare number of milliseconds; positive and at most
 * maxDurationMs, so the workflow can always hand durationToMs(value) to Temporal.
 */
export const durationSchema = z.union([
  z
    .string()
    .regex(durationPattern, 'a duration such as "30s", "15m", "7d" (digits then ms|s|m|h|d|w, no spaces)')
    // A string the pattern refused already has its issue; only the range is checked here.
    .refine((value) => {
      if (!durationPattern.test(value)) return true;
      const ms = durationToMs(value);
      return ms >= 1 && ms <= maxDurationMs;
    }, `a duration from 1ms to ${maxDurationMs / 86_400_000}d`),
  z.number().int().min(1).max(maxDurationMs),
]);
export type Duration = z.infer<typeof durationSchema>;

export const pauseTimeoutSchema = z.union([durationSchema, z.literal('never')]);
export type PauseTimeout = z.infer<typeof pauseTimeoutSchema>;
