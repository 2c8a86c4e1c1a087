import { type ChildProcess, spawn } from 'node:child_process';
import { mkdtemp, rm } from 'node:fs/promises';
import net from 'node:net';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { Client, Connection } from '@temporalio/client';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import { freePort } from '../../src/temporal/dev-server.ts';
import { processIsGone, waitUntilGone } from '../fixtures/process-state.ts';

const repoRoot = fileURLToPath(new URL('../..', import.meta.url));
const batonCli = path.join(repoRoot, 'src/cli/baton.ts');

interface Started {
  child: ChildProcess;
  urls: { api: string; docs: string; temporalUi: string; temporal: string };
  temporalPid: number;
  output: () => string;
}

let home: string;
let ports: { api: number; temporal: number; ui: number };
const children = new Set<ChildProcess>();

beforeAll(async () => {
  home = await mkdtemp(path.join(os.tmpdir(), 'baton-start-test-'));
  ports = { api: await freePort(), temporal: await freePort(), ui: await freePort() };
});
afterAll(async () => {
  for (const child of children) child.kill('SIGKILL');
  await rm(home, { recursive: true, force: true });
});

function batonEnv(extra: NodeJS.ProcessEnv = {}): NodeJS.ProcessEnv {
  const env: NodeJS.ProcessEnv = {
    ...process.env,
    BATON_HOME: home,
    PORT: String(ports.api),
    BATON_TEMPORAL_PORT: String(ports.temporal),
    BATON_TEMPORAL_UI_PORT: String(ports.ui),
    TEMPORAL_CLI_PATH: inject('temporalCliPath'),
    ...extra,
  };
  // `baton start` means the embedded defaults: nothing from the caller's shell may point elsewhere.
  for (const name of ['TEMPORAL_ADDRESS', 'DATABASE_URL', 'BATON_API_KEYS', 'HOST']) if (!(name in extra)) delete env[name];
  return env;
}

function spawnBaton(env: NodeJS.ProcessEnv): { child: ChildProcess; output: () => string; exited: Promise<{ code: number | null; signal: NodeJS.Signals | null }> } {
  const child = spawn(process.execPath, [batonCli, 'start'], { cwd: repoRoot, env, stdio: ['ignore', 'pipe', 'pipe'] });
  children.add(child);
  let output = '';
  child.stdout.on('data', (chunk: Buffer) => { output += chunk.toString(); });
  child.stderr.on('data', (chunk: Buffer) => { output += chunk.toString(); });
  const exited = new Promise<{ code: number | null; signal: NodeJS.Signals | null }>((resolve) => {
    child.on('exit', (code, signal) => { children.delete(child); resolve({ code, signal }); });
  });
  return { child, output: () => output, exited };
}

async function startBaton(): Promise<Started & { exited: Promise<{ code: number | null; signal: NodeJS.Signals | null }> }> {
  const { child, output, exited } = spawnBaton(batonEnv());
  const deadline = Date.now() + 90_000;
  let gone = false;
  void exited.then(() => { gone = true; });
  while (!output().includes('Press Ctrl-C to stop.')) {
    if (gone) throw new Error(`baton start exited before it was up:\n${output()}`);
    if (Date.now() > deadline) throw new Error(`baton start did not print its URLs within 90 s:\n${output()}`);
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
  // The banner pads labels to 12 characters: `  Temporal UI  http://...`.
  const field = (label: string) => new RegExp(`^  ${label.padEnd(12)} (\\S+)`, 'm').exec(output())?.[1] ?? '';
  const temporalPid = Number(/Temporal dev server running \(pid (\d+)\)/.exec(output())?.[1]);
  return {
    child,
    exited,
    output,
    temporalPid,
    urls: { api: field('API'), docs: field('Docs'), temporalUi: field('Temporal UI'), temporal: field('Temporal') },
  };
}

/** Ctrl-C: baton exits 0 on its own (the test's timeout bounds the wait). */
async function stopWithSigint(started: Awaited<ReturnType<typeof startBaton>>): Promise<void> {
  started.child.kill('SIGINT');
  const { code } = await started.exited;
  expect(code, started.output()).toBe(0);
}

describe('baton start', () => {
  it('runs everything on embedded defaults, stops on Ctrl-C with nothing left, and finds its data on the next start', async () => {
    const first = await startBaton();
    expect(first.urls).toEqual({
      api: `http://127.0.0.1:${ports.api}`,
      docs: `http://127.0.0.1:${ports.api}/docs`,
      temporalUi: `http://127.0.0.1:${ports.ui}`,
      temporal: `127.0.0.1:${ports.temporal}`,
    });
    expect(first.temporalPid).toBeGreaterThan(0);

    // A worker in the same process polls the task queue within moments.
    await expect.poll(async () => (await fetch(`${first.urls.api}/readyz`)).status, { timeout: 20_000, interval: 250 }).toBe(200);
    expect((await fetch(`${first.urls.api}/healthz`)).status).toBe(200);
    expect((await fetch(first.urls.docs)).status).toBe(200);
    const ui = await fetch(first.urls.temporalUi);
    expect(ui.status).toBe(200);
    expect(await ui.text()).toMatch(/<html/i);

    const workflowId = `baton-start-survivor-${Date.now()}`;
    const connection = await Connection.connect({ address: first.urls.temporal });
    try {
      // A run on a queue nobody serves: it stays open, so the second life can find it as it was.
      await new Client({ connection }).workflow.start('survivesRestart', { taskQueue: 'baton-start-test-unserved', workflowId });
    } finally {
      await connection.close();
    }

    await stopWithSigint(first);
    expect(await processIsGone(first.temporalPid)).toBe(true);
    await expect(fetch(`${first.urls.api}/healthz`)).rejects.toThrow();

    const second = await startBaton();
    try {
      expect(second.temporalPid).not.toBe(first.temporalPid);
      const again = await Connection.connect({ address: second.urls.temporal });
      try {
        const description = await new Client({ connection: again }).workflow.getHandle(workflowId).describe();
        expect(description.type).toBe('survivesRestart');
        expect(description.status.name).toBe('RUNNING');
      } finally {
        await again.close();
      }
    } finally {
      await stopWithSigint(second);
    }
    expect(await waitUntilGone(second.temporalPid, 30_000)).toBe(true);
  }, 240_000);

  it('exits 1 naming the bad variable, before starting anything', async () => {
    const { output, exited } = spawnBaton(batonEnv({ PORT: 'eighty', BATON_PAUSE_TIMEOUT: 'soon' }));
    const { code } = await exited;
    expect(code).toBe(1);
    expect(output()).toContain('Invalid configuration:');
    expect(output()).toContain('PORT: a port number (got "eighty")');
    expect(output()).toMatch(/BATON_PAUSE_TIMEOUT: .*"soon"/);
    expect(output()).not.toContain('Temporal dev server');
  });

  it('exits 1 when the API port is taken, before starting Temporal', async () => {
    const holder = net.createServer();
    await new Promise<void>((resolve) => holder.listen(0, '127.0.0.1', resolve));
    const port = (holder.address() as net.AddressInfo).port;
    try {
      const { output, exited } = spawnBaton(batonEnv({
        PORT: String(port),
        BATON_HOME: path.join(home, 'busy-api'),
        BATON_TEMPORAL_PORT: String(await freePort()),
        BATON_TEMPORAL_UI_PORT: String(await freePort()),
      }));
      const { code } = await exited;
      expect(code, output()).toBe(1);
      expect(output()).toContain(`baton start failed: port ${port} (PORT, the Baton API) on 127.0.0.1 is already in use`);
      expect(output()).not.toContain('Temporal dev server running');
    } finally {
      await new Promise((resolve) => holder.close(resolve));
    }
  });
});
