// Order statistics for benchmark samples. Percentiles interpolate linearly between the two
// nearest ranks (the "R-7" rule spreadsheets and numpy use), so small samples give stable values.

export interface Summary {
  n: number;
  min: number;
  p50: number;
  p99: number;
  max: number;
  mean: number;
}

/** The q-th quantile (0 ≤ q ≤ 1) of the samples; throws on an empty list rather than invent a number. */
export function quantile(samples: readonly number[], q: number): number {
  if (samples.length === 0) throw new RangeError('quantile of no samples');
  if (!(q >= 0 && q <= 1)) throw new RangeError(`quantile ${q} is outside [0, 1]`);
  const sorted = [...samples].sort((a, b) => a - b);
  const rank = q * (sorted.length - 1);
  const low = Math.floor(rank);
  const high = Math.ceil(rank);
  const lowValue = sorted[low] as number;
  const highValue = sorted[high] as number;
  return lowValue + (highValue - lowValue) * (rank - low);
}

export function median(samples: readonly number[]): number {
  return quantile(samples, 0.5);
}

export function summarize(samples: readonly number[]): Summary {
  if (samples.length === 0) throw new RangeError('summary of no samples');
  let min = Infinity;
  let max = -Infinity;
  let sum = 0;
  for (const value of samples) {
    if (value < min) min = value;
    if (value > max) max = value;
    sum += value;
  }
  return {
    n: samples.length,
    min,
    p50: quantile(samples, 0.5),
    p99: quantile(samples, 0.99),
    max,
    mean: sum / samples.length,
  };
}

/** a / b, or null when b is zero or either side is missing: a ratio we cannot state is not 0 or ∞. */
export function ratio(a: number | null | undefined, b: number | null | undefined): number | null {
  if (a == null || b == null || b === 0 || !Number.isFinite(a) || !Number.isFinite(b)) return null;
  return a / b;
}
