// CPU time a process has used (user + system), read from /proc (Linux): the cost of a cycle in
// the worker or the API, which latency alone hides on a shared machine.
import { readFile } from 'node:fs/promises';

const ticksPerSecond = 100; // USER_HZ: 100 on every Linux Node supports

/** Milliseconds of CPU the process has used so far, or null when /proc has no such process. */
export async function readCpuMs(pid: number): Promise<number | null> {
  try {
    const stat = await readFile(`/proc/${pid}/stat`, 'utf8');
    // Fields after the parenthesised command name; utime and stime are fields 14 and 15.
    const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
    const utime = Number(fields[11]);
    const stime = Number(fields[12]);
    return Number.isFinite(utime) && Number.isFinite(stime) ? ((utime + stime) * 1000) / ticksPerSecond : null;
  } catch {
    return null;
  }
}

/** CPU ms of each named process, for before/after deltas around a round. */
export async function readCpuOf(pids: Record<string, number>): Promise<Record<string, number>> {
  const entries = await Promise.all(Object.entries(pids).map(async ([name, pid]) => [name, await readCpuMs(pid)] as const));
  return Object.fromEntries(entries.filter((entry): entry is readonly [string, number] => entry[1] !== null));
}
