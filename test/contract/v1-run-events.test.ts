// Live run events on Baton as `baton start` composes it (the workflow records the read model on the
// test's PostgreSQL, whose NOTIFY feeds the API's streams): the SDK, the CLI and plain HTTP watch
// real lead-router runs pause, take an answer and complete.
import { spawn } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import pg from 'pg';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { runsCommand } from '../../src/cli/runs-command.ts';
import type { V1Run } from '../../src/domain/v1-api.ts';
import { BatonApiError } from '../../src/sdk/index.ts';
import { openEventStream } from '../fixtures/sse-client.ts';
import { eventually } from '../integration/engine-harness.ts';
import { postgresUrl } from '../integration/store-backends.ts';
import { startV1Stack, type V1Stack } from './v1-stack.ts';

let stack: V1Stack;
const root = fileURLToPath(new URL('../..', import.meta.url));

beforeAll(async () => {
  stack = await startV1Stack('v1-events');
});
afterEach(async () => {
  // No stream outlives its client: the API holds none once the watchers are gone.
  await eventually(async () => expect(stack.api.runEvents!.size).toBe(0));
});
afterAll(async () => stack?.close());

const start = { input: { task: 'Route this lead', state: { leadId: 'lead-123' } } };
const approve = { input: { resume: { step: 'approval', input: 'approve' } } };

/** Iterates a watch in the background, keeping what it yields. */
function watching(runs: AsyncIterable<V1Run>) {
  const seen: V1Run[] = [];
  const done = (async () => {
    for await (const run of runs) seen.push(run);
  })();
  return { seen, done, of: (runId: string) => seen.filter((run) => run.run_id === runId).map((run) => run.output.status) };
}

const auth = (index = 0) => ({ authorization: `Bearer ${stack.keyOf(stack.projects[index]!)}` });

describe('watching runs with the SDK', () => {
  it('sees a lead-router run pause, take its answer and complete, on the run\'s stream and the project\'s, and nothing of it from another project', async () => {
    const client = stack.sdk(0);
    const stop = new AbortController();
    const project = watching(client.workflowRuns.watchRuns({ signal: stop.signal }));
    const pausedOnly = watching(client.workflowRuns.watchRuns({ status: 'paused', signal: stop.signal }));
    const otherProject = watching(stack.sdk(1).workflowRuns.watchRuns({ signal: stop.signal }));
    // The project streams send changes from when they connect: wait until all three are open.
    await eventually(async () => expect(stack.api.runEvents!.size).toBe(3));

    const run = await client.agents.workflow('lead-router', start);
    expect(run.output.status).toBe('paused');
    const one = watching(client.workflowRuns.watchRun(run.run_id));
    // The run's stream starts with the run as it stands.
    await eventually(async () => expect(one.seen).toHaveLength(1));
    expect(one.seen[0]).toStrictEqual(run);

    const completed = await client.workflowRuns.resume(run.run_id, approve);
    expect(completed.output.status).toBe('completed');
    // It ends by itself after the final state, which is what GET answers.
    await one.done;
    expect(one.seen.at(-1)).toStrictEqual(await client.workflowRuns.get(run.run_id));
    expect(one.of(run.run_id).at(-1)).toBe('completed');
    expect(one.of(run.run_id).filter((status) => status === 'completed')).toHaveLength(1);

    await eventually(async () => expect(project.of(run.run_id).at(-1)).toBe('completed'));
    const statuses = project.of(run.run_id);
    expect(statuses.indexOf('paused')).toBeGreaterThanOrEqual(0);
    expect(statuses.indexOf('paused')).toBeLessThan(statuses.indexOf('completed'));
    expect(pausedOnly.of(run.run_id)).toEqual(['paused']);
    expect(pausedOnly.seen[0]).toStrictEqual(run);
    expect(otherProject.seen).toEqual([]);

    stop.abort();
    await Promise.all([project.done, pausedOnly.done, otherProject.done]);
  });

  it('rejects a watch of an unknown run, or of another project\'s, with 404 run_not_found before any event', async () => {
    const theirs = await stack.sdk(1).agents.workflow('lead-router', start);
    for (const runId of ['wfr_01JNOSUCHRUN000000000000000', theirs.run_id, 'not-a-run-id']) {
      const error = await watching(stack.sdk(0).workflowRuns.watchRun(runId)).done.catch((caught: unknown) => caught);
      expect(error).toBeInstanceOf(BatonApiError);
      expect(error).toMatchObject({ status: 404, code: 'run_not_found' });
    }
    for (const path of [`/v1/workflow-runs/${theirs.run_id}/events`, `/api/v1/workflows/runs/${theirs.run_id}/events`]) {
      const answer = await fetch(`${stack.url}${path}`, { headers: auth(0) });
      expect({ status: answer.status, type: answer.headers.get('content-type'), body: await answer.json() })
        .toMatchObject({ status: 404, type: 'application/json', body: { error: { code: 'run_not_found' } } });
    }
  });

  it('starts a run\'s stream from Temporal when the read model has no row for it', async () => {
    const run = await stack.sdk(0).agents.workflow('lead-router', start);
    const db = new pg.Client({ connectionString: postgresUrl });
    await db.connect();
    try {
      await db.query(`delete from ${pg.escapeIdentifier(stack.config.databaseSchema!)}.runs where run_id = $1`, [run.run_id]);
    } finally {
      await db.end();
    }
    expect(await stack.store.runs.get(stack.projects[0], run.run_id)).toBeUndefined();
    const one = watching(stack.sdk(0).workflowRuns.watchRun(run.run_id));
    await eventually(async () => expect(one.seen).toHaveLength(1));
    expect(one.seen[0]).toStrictEqual(run);
    await stack.sdk(0).workflowRuns.resume(run.run_id, approve);
    await one.done;
    expect(one.of(run.run_id).at(-1)).toBe('completed');
  });
});

describe('the Agent Manager API\'s run stream', () => {
  it('streams a run started there, in its shape, until it completes', async () => {
    const started = await fetch(`${stack.url}/api/v1/workflows/wf-lead-router/run`, {
      method: 'POST',
      headers: { ...auth(0), 'content-type': 'application/json' },
      body: JSON.stringify({ input: 'Route this lead' }),
    });
    const { runId } = (await started.json()) as { runId: string };
    const stream = await openEventStream(`${stack.url}/api/v1/workflows/runs/${runId}/events`, auth(0));
    expect(stream.response.headers.get('content-type')).toBe('text/event-stream');
    const statusOf = async () => (JSON.parse((await stream.next()).data) as { id: string; status: string });
    let first = await statusOf();
    // Started without waiting: it may still be running when the stream opens.
    while (first.status === 'RUNNING') first = await statusOf();
    expect(first).toMatchObject({ id: runId, status: 'PAUSED', pendingAction: { step: 'approval' } });
    const resumed = await fetch(`${stack.url}/api/v1/workflows/runs/${runId}/resume`, {
      method: 'POST',
      headers: { ...auth(0), 'content-type': 'application/json' },
      body: JSON.stringify({ output: 'approve' }),
    });
    expect(resumed.status).toBe(202);
    await stream.ended;
    expect(JSON.parse(stream.events.at(-1)!.data)).toMatchObject({ id: runId, status: 'COMPLETED', result: { routedTo: 'enterprise-sales' } });
  });
});

describe('an API process that stops', () => {
  it('ends its open streams and stops promptly instead of waiting on them', async () => {
    const api = await stack.startRuntime('api');
    const stream = await openEventStream(`${api.urls.api!}/v1/workflow-runs/events`, auth(0));
    expect(stream.response.status).toBe(200);
    expect(api.runEvents!.size).toBe(1);
    const began = Date.now();
    await api.close();
    await stream.ended;
    expect(api.runEvents!.size).toBe(0);
    expect(Date.now() - began).toBeLessThan(3_000);
  });
});

describe('baton runs watch', () => {
  async function baton(args: string[], signal?: AbortSignal) {
    const out: string[] = [];
    const err: string[] = [];
    const code = runsCommand(['watch', ...args], {
      env: { BATON_URL: stack.url, BATON_API_KEY: stack.keyOf(stack.projects[0]) },
      out: (text) => out.push(text),
      err: (text) => err.push(text),
      signal,
    });
    return { code, out, err };
  }

  it('prints one line per change of a run until it finishes', async () => {
    const run = await stack.sdk(0).agents.workflow('lead-router', start);
    const watch = await baton([run.run_id]);
    await eventually(async () => expect(watch.out).toHaveLength(1));
    expect(watch.out[0]).toMatch(new RegExp(`^\\d{4}-\\d\\d-\\d\\dT\\S+Z  ${run.run_id}  paused at step approval: Route to enterprise sales team\\? \\[approve\\|reject\\|escalate\\]$`));
    await stack.sdk(0).workflowRuns.resume(run.run_id, approve);
    expect(await watch.code).toBe(0);
    expect(watch.out.at(-1)).toMatch(new RegExp(`  ${run.run_id}  completed, result \\{.*"routedTo":"enterprise-sales"`));
    expect(watch.err).toEqual([]);
  });

  it('prints the project\'s runs that pause as JSON lines until stopped', async () => {
    const stop = new AbortController();
    const watch = await baton(['--status', 'paused', '--json'], stop.signal);
    await eventually(async () => expect(stack.api.runEvents!.size).toBe(1));
    const run = await stack.sdk(0).agents.workflow('lead-router', start);
    await eventually(async () => expect(watch.out.map((line) => (JSON.parse(line) as V1Run).run_id)).toContain(run.run_id));
    expect(watch.out.map((line) => JSON.parse(line) as V1Run).find((line) => line.run_id === run.run_id)).toStrictEqual(run);
    stop.abort();
    expect(await watch.code).toBe(0);
  });

  it('runs in its own process until Ctrl-C, which ends it with exit code 0', async () => {
    const child = spawn(`${root}/node_modules/.bin/node`, ['src/cli/baton.ts', 'runs', 'watch', '--json'], {
      cwd: root,
      env: { ...process.env, BATON_URL: stack.url, BATON_API_KEY: stack.keyOf(stack.projects[0]) },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let out = '';
    child.stdout.on('data', (chunk: Buffer) => { out += chunk.toString(); });
    const exited = new Promise<number | null>((resolve) => child.once('exit', (code) => resolve(code)));
    await eventually(async () => expect(stack.api.runEvents!.size).toBe(1), 30_000);
    const run = await stack.sdk(0).agents.workflow('lead-router', start);
    await eventually(async () => expect(out).toContain(run.run_id));
    child.kill('SIGINT');
    expect(await exited).toBe(0);
    expect(out.trim().split('\n').map((line) => (JSON.parse(line) as V1Run).run_id)).toContain(run.run_id);
  });

  it('reports an unknown run as the API error, and bad usage before any request', async () => {
    const unknown = await baton(['wfr_01JNOSUCHRUN000000000000000']);
    expect(await unknown.code).toBe(1);
    expect(unknown.err.join('\n')).toMatch(/^error: run_not_found \(HTTP 404\)/);
    for (const args of [['wfr_1', 'wfr_2'], ['wfr_1', '--status', 'paused'], ['--status', 'sleeping'], ['--bogus']]) {
      const bad = await baton(args);
      expect([args.join(' '), await bad.code]).toEqual([args.join(' '), 2]);
      expect(bad.err.join('\n')).toContain('baton runs watch');
    }
  });
});
