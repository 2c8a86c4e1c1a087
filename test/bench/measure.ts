// Drives contenders: N cycles at a concurrency, and rounds interleaved across contenders so that
// machine noise (other processes, thermal, GC of earlier rounds) lands on every contender alike.
import type { Contender } from './contender.ts';
import { median, quantile } from './stats.ts';

export interface RoundOptions {
  /** At most this many cycles per round. */
  cycles: number;
  concurrency: number;
  /**
   * Stop starting cycles after this long (cycles in flight finish and count), so a round of a slow
   * and of a fast engine take similar time; every client still runs at least one cycle.
   */
  durationMs?: number;
  /** Cycles run (and thrown away) before timing starts: connections, JIT, caches. */
  warmup?: number;
  /** A round that takes longer than this is abandoned with an error, never reported. */
  timeoutMs?: number;
}

export interface RoundResult {
  contender: string;
  cycles: number;
  concurrency: number;
  wallMs: number;
  /** Full cycles completed per second of wall time. */
  throughput: number;
  startMs: number[];
  resumeMs: number[];
  /** CPU ms per cycle of each probed process during the round (see InterleaveOptions.cpuProbe). */
  cpuMsPerCycle?: Record<string, number>;
}

/** Runs `cycles` cycles with `concurrency` clients each taking the next cycle as it finishes. */
export async function runRound(contender: Contender, options: RoundOptions): Promise<RoundResult> {
  const warmup = options.warmup ?? 0;
  // Warm-up is bounded by the round's duration too, so a slow engine's warm-up cannot eat the budget.
  const warmupDeadline = options.durationMs === undefined ? null : performance.now() + options.durationMs;
  if (warmup > 0) await drive(contender, warmup, Math.min(options.concurrency, warmup), warmupDeadline, null);
  const startMs: number[] = [];
  const resumeMs: number[] = [];
  const began = performance.now();
  const deadline = options.durationMs === undefined ? null : began + options.durationMs;
  await withTimeout(
    drive(contender, options.cycles, options.concurrency, deadline, (timing) => {
      startMs.push(timing.startMs);
      resumeMs.push(timing.resumeMs);
    }),
    options.timeoutMs ?? 300_000,
    `${contender.name}: ${options.cycles} cycles at concurrency ${options.concurrency}`,
  );
  const wallMs = performance.now() - began;
  return {
    contender: contender.name,
    cycles: startMs.length,
    concurrency: options.concurrency,
    wallMs,
    throughput: startMs.length / (wallMs / 1000),
    startMs,
    resumeMs,
  };
}

async function drive(
  contender: Contender,
  cycles: number,
  concurrency: number,
  deadline: number | null,
  record: ((timing: { startMs: number; resumeMs: number }) => void) | null,
): Promise<void> {
  let next = 0;
  const failures: Error[] = [];
  const client = async () => {
    // One failed cycle stops every client: a round with a failure is not a measurement.
    const more = () => next < cycles && (deadline === null || next < concurrency || performance.now() < deadline);
    while (failures.length === 0 && more()) {
      next += 1;
      try {
        // Not `record?.(await …)`: with no recorder that would skip the cycle itself.
        const timing = await contender.cycle();
        record?.(timing);
      } catch (error) {
        failures.push(error instanceof Error ? error : new Error(String(error)));
      }
    }
  };
  await Promise.all(Array.from({ length: Math.max(1, Math.min(concurrency, cycles)) }, client));
  if (failures[0]) throw failures[0];
}

async function withTimeout<T>(work: Promise<T>, timeoutMs: number, what: string): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new Error(`${what} did not finish within ${timeoutMs} ms`)), timeoutMs);
  });
  try {
    return await Promise.race([work, timeout]);
  } finally {
    clearTimeout(timer);
  }
}

export interface LegStats { p50: number; p99: number }

/** One contender's rounds, reduced: every figure is the median over rounds of that round's figure. */
export interface ContenderSummary {
  contender: string;
  rounds: number;
  concurrency: number;
  /** Median cycles a round completed. */
  cyclesPerRound: number;
  throughput: { median: number; min: number; max: number };
  start: LegStats;
  resume: LegStats;
  /** Median over rounds of each probed process's CPU ms per cycle; empty without a probe. */
  cpuMsPerCycle: Record<string, number>;
}

function medianCpu(rounds: readonly RoundResult[]): Record<string, number> {
  const names = new Set(rounds.flatMap((round) => Object.keys(round.cpuMsPerCycle ?? {})));
  const perName = [...names].map((name) => [name, rounds.map((round) => round.cpuMsPerCycle?.[name] ?? Number.NaN).filter(Number.isFinite)] as const);
  return Object.fromEntries(perName.filter(([, values]) => values.length > 0).map(([name, values]) => [name, median(values)]));
}

export function summarizeRounds(rounds: readonly RoundResult[]): ContenderSummary {
  const first = rounds[0];
  if (!first) throw new RangeError('no rounds to summarize');
  const throughputs = rounds.map((round) => round.throughput);
  return {
    contender: first.contender,
    rounds: rounds.length,
    concurrency: first.concurrency,
    cyclesPerRound: median(rounds.map((round) => round.cycles)),
    throughput: { median: median(throughputs), min: Math.min(...throughputs), max: Math.max(...throughputs) },
    start: {
      p50: median(rounds.map((round) => quantile(round.startMs, 0.5))),
      p99: median(rounds.map((round) => quantile(round.startMs, 0.99))),
    },
    resume: {
      p50: median(rounds.map((round) => quantile(round.resumeMs, 0.5))),
      p99: median(rounds.map((round) => quantile(round.resumeMs, 0.99))),
    },
    cpuMsPerCycle: medianCpu(rounds),
  };
}

export interface InterleaveOptions extends RoundOptions {
  repeats: number;
  log?: (line: string) => void;
  /**
   * CPU ms used so far by each process of interest; sampled around every round. It is told whose
   * round it is, for contenders that each have their own processes.
   */
  cpuProbe?: (contender: Contender) => Promise<Record<string, number>>;
}

/**
 * Repeats a round of every contender `repeats` times, rotating who goes first each time
 * (A,B,C then B,C,A …) so neither noise nor position favours one of them.
 */
export async function interleave(contenders: readonly Contender[], options: InterleaveOptions): Promise<Map<string, RoundResult[]>> {
  const results = new Map<string, RoundResult[]>(contenders.map((contender) => [contender.name, []]));
  for (let repeat = 0; repeat < options.repeats; repeat++) {
    for (let i = 0; i < contenders.length; i++) {
      const contender = contenders[(repeat + i) % contenders.length] as Contender;
      // Warm up only on the first repeat (later rounds start warm from the earlier ones), with at
      // least ten cycles: one cycle left Mastra's first round at a tenth of its later speed (JIT).
      const warmup = repeat === 0 ? (options.warmup ?? Math.max(10, options.concurrency)) : 0;
      const cpuBefore = await options.cpuProbe?.(contender);
      const round = await runRound(contender, { ...options, warmup });
      const cpuAfter = await options.cpuProbe?.(contender);
      // Only rounds without warm-up: a time-boxed warm-up runs an unknown number of cycles.
      if (cpuBefore && cpuAfter && round.cycles > 0 && warmup === 0) {
        round.cpuMsPerCycle = Object.fromEntries(
          Object.keys(cpuAfter).filter((name) => name in cpuBefore).map((name) => [name, ((cpuAfter[name] as number) - (cpuBefore[name] as number)) / round.cycles]),
        );
      }
      results.get(contender.name)?.push(round);
      options.log?.(
        `  ${contender.name.padEnd(14)} c=${String(options.concurrency).padStart(2)} round ${repeat + 1}/${options.repeats}: ` +
          `${round.throughput.toFixed(1)} cycles/s, start p50 ${quantile(round.startMs, 0.5).toFixed(1)} ms, ` +
          `resume p50 ${quantile(round.resumeMs, 0.5).toFixed(1)} ms`,
      );
    }
  }
  return results;
}
