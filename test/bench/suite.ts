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
