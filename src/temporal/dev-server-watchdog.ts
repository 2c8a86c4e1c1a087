import { type ChildProcess, spawn } from 'node:child_process';

/**
 * A few lines of POSIX sh that hold the read end of a pipe from this process. A stop says so on
 * the pipe ("stop"); if this process dies instead (SIGKILL, OOM, a crash) the kernel closes the
 * pipe, `read` sees end of file, and the watchdog stops the dev server's process group: SIGTERM,
 * then SIGKILL after 5 s. Works wherever /bin/sh does (Linux, macOS), unlike PR_SET_PDEATHSIG.
 */
const script = `
if read -r line; then exit 0; fi
kill -s TERM -- "-$1" 2>/dev/null || exit 0
i=0
while [ "$i" -lt 50 ] && kill -s 0 -- "-$1" 2>/dev/null; do sleep 0.1; i=$((i + 1)); done
kill -s KILL -- "-$1" 2>/dev/null
exit 0
`;

/** Shown in `ps`, and checked before a later start signals a recorded watchdog. */
export const watchdogName = 'baton-temporal-watchdog';

export interface DevServerWatchdog {
  pid?: number;
  /** Tells the watchdog the server was stopped on purpose; it exits without signalling anything. */
  release(): void;
}

/** Watches over the process group led by `groupPid` for as long as this process lives. */
export function startWatchdog(groupPid: number): DevServerWatchdog {
  if (process.platform === 'win32') return { release: () => {} };
  // Its own process group: a terminal's Ctrl-C must not take the watchdog down before the server.
  const child: ChildProcess = spawn('/bin/sh', ['-c', script, watchdogName, String(groupPid)], { stdio: ['pipe', 'ignore', 'ignore'], detached: true });
  child.on('error', () => {});
  child.stdin?.on('error', () => {});
  // Only the pipe ties it to us; neither it nor the pipe keeps this process running.
  child.unref();
  (child.stdin as unknown as { unref?: () => void } | null)?.unref?.();
  return {
    pid: child.pid,
    release: () => {
      if (child.stdin?.writable) child.stdin.end('stop\n');
    },
  };
}
