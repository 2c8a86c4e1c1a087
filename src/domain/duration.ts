import { z } from 'zod';
import { durationPattern, maxDurationMs } from './duration-ms.ts';

export { durationToMs, maxDurationMs, temporalMs } from './duration-ms.ts';

/**
 * A duration such as "30s", "15m", "7d", or a bare number of milliseconds (1 to maxDurationMs).
 * The string form is exactly its pattern, so OpenAPI describes all it accepts; the workflow reads
 * it with temporalMs, which counts a string past maxDurationMs (3650 days) as maxDurationMs and
 * one under a millisecond as 1 ms.
 */
export const durationSchema = z.union([
  z.string().regex(durationPattern, 'a duration such as "30s", "15m", "7d" (digits then ms|s|m|h|d|w, not zero, no spaces)'),
  z.number().int().min(1).max(maxDurationMs),
]);
export type Duration = z.infer<typeof durationSchema>;

export const pauseTimeoutSchema = z.union([durationSchema, z.literal('never')]);
export type PauseTimeout = z.infer<typeof pauseTimeoutSchema>;
