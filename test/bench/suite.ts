// What the runner hands every suite, and what a suite hands back.

export interface BenchOptions {
  /** Smoke sizes: a few cycles per round, a few hundred paused runs; numbers are not for quoting. */
  quick: boolean;
  /** Rounds per contender and configuration (≥5 for quotable medians). */
  repeats: number;
  log: (line: string) => void;
}

export interface SuiteReport {
  suite: string;
  title: string;
  /** Tables and notes, ready for the README. */
  markdown: string;
  /** Everything measured, raw rounds included, for test/bench/results/. */
  data: unknown;
  /** What could not be measured and why (missing piece, failed start); empty when complete. */
  missing: string[];
}

export interface Suite {
  name: string;
  run(options: BenchOptions): Promise<SuiteReport>;
}

/**
 * A round at `concurrency`: time-boxed (5 s, 1.5 s quick) so slow and fast engines cost the same
 * wall time, with a cycle cap as the hard bound.
 */
export function roundAt(options: BenchOptions, concurrency: number): { concurrency: number; cycles: number; durationMs: number } {
  return { concurrency, cycles: options.quick ? 2_000 : 20_000, durationMs: options.quick ? 1_500 : 5_000 };
}
