import { execFile } from 'node:child_process';
import { readFile } from 'node:fs/promises';
import { promisify } from 'node:util';

/** What the OS says about a live process: its parent and its command line. */
export interface ProcessInfo {
  ppid: number;
  /** The arguments, argv[0] first (on macOS split from `ps` output at spaces). */
  args: string[];
  /** The whole command line as one string, for matching paths that contain spaces. */
  commandLine: string;
}

/** The process, or undefined when no such process runs (a zombie counts as gone: it runs nothing). */
export async function inspectProcess(pid: number): Promise<ProcessInfo | undefined> {
  if (!Number.isInteger(pid) || pid <= 0) return undefined;
  if (process.platform === 'linux') return await fromProc(pid);
  return await fromPs(pid);
}

async function fromProc(pid: number): Promise<ProcessInfo | undefined> {
  try {
    const [stat, cmdline] = await Promise.all([readFile(`/proc/${pid}/stat`, 'utf8'), readFile(`/proc/${pid}/cmdline`, 'utf8')]);
    // After the parenthesised command name (which may itself hold spaces): state, then ppid.
    const [state, ppid] = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
    if (state === 'Z' || state === 'X') return undefined;
    const args = cmdline.split('\0').filter((arg) => arg !== '');
    return { ppid: Number(ppid), args, commandLine: args.join(' ') };
  } catch {
    return undefined;
  }
}

async function fromPs(pid: number): Promise<ProcessInfo | undefined> {
  try {
    const { stdout } = await promisify(execFile)('ps', ['-ww', '-o', 'ppid=', '-o', 'stat=', '-o', 'command=', '-p', String(pid)], { encoding: 'utf8' });
    const match = /^\s*(\d+)\s+(\S+)\s+(.*)$/.exec(stdout.trim());
    if (!match || match[2]!.startsWith('Z')) return undefined;
    return { ppid: Number(match[1]), args: match[3]!.split(' '), commandLine: match[3]! };
  } catch {
    // ps exits 1 when no such process runs.
    return undefined;
  }
}

/** Signals the process group led by pid (detached children lead their own), else the process alone. */
export function signalProcessGroup(pid: number, signal: NodeJS.Signals): void {
  try {
    process.kill(-pid, signal);
  } catch {
    try {
      process.kill(pid, signal);
    } catch {
      // Already gone.
    }
  }
}
