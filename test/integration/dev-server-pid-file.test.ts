import { type ChildProcess, spawn } from 'node:child_process';
import { mkdtemp, readFile, rm } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { DevServerInUseError, stopLeftoverDevServer, writeDevServerRecord } from '../../src/temporal/dev-server-pid-file.ts';
import { processIsGone } from '../fixtures/process-state.ts';

// Stand-ins for a dev server: real processes whose command line reads like one (or not).
let dir: string;
const started: ChildProcess[] = [];
beforeAll(async () => { dir = await mkdtemp(path.join(os.tmpdir(), 'baton-pid-file-')); });
afterAll(async () => {
  for (const child of started) child.kill('SIGKILL');
  await rm(dir, { recursive: true, force: true });
});

function fakeProcess(args: string[]): ChildProcess {
  // `sh -c 'exec sleep'` would change the command line; sh waiting on sleep keeps these arguments.
  const child = spawn('/bin/sh', ['-c', 'sleep 600; :', 'temporal', ...args], { stdio: 'ignore', detached: true });
  started.push(child);
  return child;
}

const exists = (file: string) => readFile(file).then(() => true, () => false);

describe('stopLeftoverDevServer', () => {
  it('stops a recorded dev server whose owner is gone, and removes the record', async () => {
    const dbFile = path.join(dir, 'orphan.sqlite');
    const server = fakeProcess(['server', 'start-dev', '--port', '7233', '--db-filename', dbFile]);
    const file = path.join(dir, 'orphan.pid');
    await writeDevServerRecord(file, { pid: server.pid!, ownerPid: 999_999_999, port: 7233, dbFile, cliPath: 'temporal', startedAt: new Date().toISOString() });
    const lines: string[] = [];
    await stopLeftoverDevServer(file, dbFile, (line) => lines.push(line));
    expect(await processIsGone(server.pid!)).toBe(true);
    expect(lines).toStrictEqual([`stopping the Temporal dev server (pid ${server.pid}, port 7233) that an earlier start left running`]);
    expect(await exists(file)).toBe(false);
  });

  it('leaves a recycled pid alone (another command line) and drops the stale record', async () => {
    const dbFile = path.join(dir, 'recycled.sqlite');
    const other = fakeProcess(['something', 'else', '--db-filename', dbFile]);
    const file = path.join(dir, 'recycled.pid');
    await writeDevServerRecord(file, { pid: other.pid!, ownerPid: 999_999_999, port: 7233, dbFile, cliPath: 'temporal', startedAt: new Date().toISOString() });
    await stopLeftoverDevServer(file, dbFile);
    expect(await processIsGone(other.pid!)).toBe(false);
    expect(await exists(file)).toBe(false);
  });

  it('leaves a dev server on another SQLite file alone', async () => {
    const server = fakeProcess(['server', 'start-dev', '--db-filename', path.join(dir, 'someone-elses.sqlite')]);
    const file = path.join(dir, 'elsewhere.pid');
    const dbFile = path.join(dir, 'mine.sqlite');
    await writeDevServerRecord(file, { pid: server.pid!, ownerPid: 999_999_999, port: 7233, dbFile, cliPath: 'temporal', startedAt: new Date().toISOString() });
    await stopLeftoverDevServer(file, dbFile);
    expect(await processIsGone(server.pid!)).toBe(false);
  });

  it('refuses, and stops nothing, while the recorded owner still runs it', async () => {
    const dbFile = path.join(dir, 'in-use.sqlite');
    // This test process is the owner: the stand-in is its child.
    const server = fakeProcess(['server', 'start-dev', '--db-filename', dbFile]);
    const file = path.join(dir, 'in-use.pid');
    await writeDevServerRecord(file, { pid: server.pid!, ownerPid: process.pid, port: 7233, dbFile, cliPath: 'temporal', startedAt: new Date().toISOString() });
    await expect(stopLeftoverDevServer(file, dbFile)).rejects.toBeInstanceOf(DevServerInUseError);
    expect(await processIsGone(server.pid!)).toBe(false);
    expect(await exists(file)).toBe(true);
  });

  it('does nothing without a record', async () => {
    await expect(stopLeftoverDevServer(path.join(dir, 'none.pid'), path.join(dir, 'none.sqlite'))).resolves.toBeUndefined();
  });
});
