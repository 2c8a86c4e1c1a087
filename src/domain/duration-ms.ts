// Reading durations as milliseconds. No zod here: workflow code imports this module, and the
// workflow bundle stays free of the schema library.

/** The longest duration a definition may hold (3650 days, about ten years); longer waits are 'never'. */
export const maxDurationMs = 3650 * 86_400_000;

const unitMs = { ms: 1, s: 1000, m: 60_000, h: 3_600_000, d: 86_400_000, w: 604_800_000 } as const;
/**
 * No white space, no exponent, no leading zero, at most 9 integer and 3 fraction digits, and not
 * zero: every match converts exactly and is positive. Kept a plain pattern so OpenAPI carries it.
 */
export const durationPattern = /^((?:[1-9]\d{0,8}(?:\.\d{1,3})?|0\.(?:[1-9]\d{0,2}|0[1-9]\d?|00[1-9])))(ms|s|m|h|d|w)$/;
// What older definitions and in-flight runs may still carry; read, never accepted anew.
const legacyPattern = /^\s*(\d+(?:\.\d+)?)\s*(ms|s|m|h|d|w)\s*$/;

/** Milliseconds of a duration ("30s", "1.5h", or a number of milliseconds); pure, so workflow code may call it. */
export function durationToMs(duration: string | number): number {
  if (typeof duration === 'number') return duration;
  const match = durationPattern.exec(duration) ?? legacyPattern.exec(duration);
  if (!match) throw new TypeError(`not a duration: ${duration}`);
  return Math.round(Number(match[1]) * unitMs[match[2] as keyof typeof unitMs]);
}

/**
 * The whole milliseconds the workflow passes to Temporal (timers, activity timeouts, retry
 * intervals), clamped to 1ms..maxDurationMs so that a value stored before the schema was strict
 * still runs; null when `duration` cannot be read at all.
 */
export function temporalMs(duration: unknown): number | null {
  let ms: number;
  try {
    ms = typeof duration === 'number' || typeof duration === 'string' ? durationToMs(duration) : Number.NaN;
  } catch {
    return null;
  }
  if (!Number.isFinite(ms)) return null;
  return Math.min(Math.max(1, Math.round(ms)), maxDurationMs);
}
