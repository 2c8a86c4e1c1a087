// A burst: N starts at once, and once every one has answered, N resumes at once. Nothing is
// queued on the client side: all N requests are in flight together, so the engine's own queues
// (API, Temporal, worker) take the load. Every request must succeed; failures are counted, not hidden.
import type { ApprovalLegs } from './contender.ts';
import { quantile } from './stats.ts';

export interface WaveResult {
  requests: number;
  succeeded: number;
  /** From the first request sent to the last answer. */
  wallMs: number;
  /** Of the successful requests; null when none succeeded. */
  p50: number | null;
  p99: number | null;
  /** The first few distinct failure messages. */
  errors: string[];
}

export interface BurstResult {
  contender: string;
  size: number;
  starts: WaveResult;
  /** Resumes of the runs that started. */
  resumes: WaveResult;
  allSucceeded: boolean;
}

async function wave<T, R>(inputs: readonly T[], call: (input: T) => Promise<R>): Promise<{ result: WaveResult; values: R[] }> {
  const began = performance.now();
  const settled = await Promise.allSettled(inputs.map(async (input) => {
    const t0 = performance.now();
    const value = await call(input);
    return { value, ms: performance.now() - t0 };
  }));
  const wallMs = performance.now() - began;
  const ok = settled.flatMap((outcome) => (outcome.status === 'fulfilled' ? [outcome.value] : []));
  const errors = [...new Set(settled.flatMap((outcome) => (outcome.status === 'rejected' ? [String((outcome.reason as Error)?.message ?? outcome.reason).slice(0, 300)] : [])))].slice(0, 3);
  const times = ok.map((entry) => entry.ms);
  return {
    result: {
      requests: inputs.length,
      succeeded: ok.length,
      wallMs,
      p50: times.length > 0 ? quantile(times, 0.5) : null,
      p99: times.length > 0 ? quantile(times, 0.99) : null,
      errors,
    },
    values: ok.map((entry) => entry.value),
  };
}

export async function runBurst<T>(contender: string, legs: ApprovalLegs<T>, size: number): Promise<BurstResult> {
  const starts = await wave(Array.from({ length: size }, (_, i) => i), () => legs.start());
  const resumes = await wave(starts.values, (paused) => legs.resume(paused));
  return {
    contender,
    size,
    starts: starts.result,
    resumes: resumes.result,
    allSucceeded: starts.result.succeeded === size && resumes.result.succeeded === size,
  };
}
