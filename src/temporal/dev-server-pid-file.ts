import { readFile, rename, rm, writeFile } from 'node:fs/promises';
import { inspectProcess, type ProcessInfo, signalProcessGroup } from './process-table.ts';

/**
 * What a pid file under BATON_HOME records about the embedded dev server, so that the next start
 * can stop one a killed `baton start` left behind, and only that one (never a recycled pid).
 */
export interface DevServerRecord {
  pid: number;
  /** The process that started it; while that one lives and is still its parent, the server is in use. */
  ownerPid: number;
  /** Its watchdog, which stops the server when the owner dies (see dev-server-watchdog.ts). */
  watchdogPid?: number;
  port: number;
  dbFile: string;
  cliPath: string;
  startedAt: string;
}

export async function writeDevServerRecord(file: string, record: DevServerRecord): Promise<void> {
  // Written whole then renamed: a crash mid-write never leaves half a record for the next start.
  const partial = `${file}.${process.pid}.tmp`;
  await writeFile(partial, `${JSON.stringify(record, null, 2)}\n`);
  await rename(partial, file);
}

export async function readDevServerRecord(file: string): Promise<DevServerRecord | undefined> {
  const text = await readFile(file, 'utf8').catch(() => undefined);
  if (text === undefined) return undefined;
  try {
    const record = JSON.parse(text) as Partial<DevServerRecord>;
    if (Number.isInteger(record.pid) && Number.isInteger(record.ownerPid) && typeof record.dbFile === 'string') return record as DevServerRecord;
  } catch {
    // Unreadable: treated as no record.
  }
  return undefined;
}

/** Removes the record if it still names this server (a newer start may have replaced it). */
export async function removeDevServerRecord(file: string, pid: number): Promise<void> {
  const record = await readDevServerRecord(file);
  if (record === undefined || record.pid === pid) await rm(file, { force: true });
}

/** True when the command line is `temporal server start-dev ... --db-filename <dbFile>`: the recorded server, not a recycled pid. */
export function isDevServerOn(info: ProcessInfo, dbFile: string): boolean {
  if (!info.args.includes('start-dev')) return false;
  const at = info.args.indexOf('--db-filename');
  return (at >= 0 && info.args[at + 1] === dbFile) || info.commandLine.includes(`--db-filename ${dbFile} `);
}

export class DevServerInUseError extends Error {
  constructor(record: DevServerRecord) {
    super(`the Temporal dev server on ${record.dbFile} (pid ${record.pid}, port ${record.port}) belongs to a running process (pid ${record.ownerPid}): stop that one first, or give this one another BATON_HOME`);
    this.name = 'DevServerInUseError';
  }
}

/**
 * Stops the dev server a previous start recorded in `file`, if it still runs on `dbFile` and its
 * owner is gone (killed with SIGKILL, say); a live owner's server is refused, a stale record removed.
 */
export async function stopLeftoverDevServer(file: string, dbFile: string, log: (line: string) => void = () => {}): Promise<void> {
  const record = await readDevServerRecord(file);
  if (record === undefined) return;
  const info = await inspectProcess(record.pid);
  if (info === undefined || !isDevServerOn(info, dbFile)) {
    await rm(file, { force: true });
    return;
  }
  if (info.ppid === record.ownerPid && (await inspectProcess(record.ownerPid)) !== undefined) throw new DevServerInUseError(record);

  log(`stopping the Temporal dev server (pid ${record.pid}, port ${record.port}) that an earlier start left running`);
  signalProcessGroup(record.pid, 'SIGTERM');
  if (!(await goneWithin(record.pid, dbFile, 10_000))) {
    signalProcessGroup(record.pid, 'SIGKILL');
    if (!(await goneWithin(record.pid, dbFile, 5_000))) throw new Error(`the Temporal dev server left running (pid ${record.pid}) did not stop; stop it by hand`);
  }
  // Its watchdog has nothing left to guard.
  if (record.watchdogPid !== undefined) await stopWatchdog(record.watchdogPid);
  await rm(file, { force: true });
}

async function goneWithin(pid: number, dbFile: string, timeoutMs: number): Promise<boolean> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const info = await inspectProcess(pid);
    if (info === undefined || !isDevServerOn(info, dbFile)) return true;
    if (Date.now() >= deadline) return false;
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
}

async function stopWatchdog(pid: number): Promise<void> {
  const info = await inspectProcess(pid);
  if (info?.commandLine.includes('baton-temporal-watchdog')) signalProcessGroup(pid, 'SIGKILL');
}
