// Resident memory of a process, read from /proc (Linux). A bench reports "unavailable" elsewhere
// rather than a guess.
import { readFile } from 'node:fs/promises';

/** VmRSS of the process in bytes, or null when /proc has no such process (exited, or not Linux). */
export async function readRssBytes(pid: number): Promise<number | null> {
  try {
    const status = await readFile(`/proc/${pid}/status`, 'utf8');
    const match = /^VmRSS:\s+(\d+)\s+kB$/m.exec(status);
    return match ? Number(match[1]) * 1024 : null;
  } catch {
    return null;
  }
}

/** Samples a process's RSS at an interval until stopped; keeps the peak and the last value. */
export function sampleRss(pid: number, intervalMs = 500): { stop(): Promise<{ peakBytes: number | null; lastBytes: number | null; samples: number }> } {
  let peak: number | null = null;
  let last: number | null = null;
  let samples = 0;
  const take = async () => {
    const rss = await readRssBytes(pid);
    if (rss === null) return;
    samples += 1;
    last = rss;
    peak = peak === null ? rss : Math.max(peak, rss);
  };
  void take();
  const timer = setInterval(() => void take(), intervalMs);
  timer.unref(); // a sampler never keeps the bench alive
  return {
    async stop() {
      clearInterval(timer);
      await take();
      return { peakBytes: peak, lastBytes: last, samples };
    },
  };
}

export function megabytes(bytes: number | null): string {
  return bytes === null ? 'n/a' : `${(bytes / 1_048_576).toFixed(0)} MB`;
}
