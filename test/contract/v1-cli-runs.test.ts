// `baton runs list|get|resume|cancel` against a real listening API (through the SDK, over HTTP).
import { execFile } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import { afterAll, beforeAll, expect, it } from 'vitest';
import { oneLine } from '../../src/cli/run-text.ts';
import { parseResumeInput, runsCommand } from '../../src/cli/runs-command.ts';
import type { V1Run, V1RunList } from '../../src/domain/v1-api.ts';
import { eventually } from '../integration/engine-harness.ts';
import { startV1Stack, type V1Stack } from './v1-stack.ts';
import { runOperatorCommand } from '../fixtures/operator-cli.ts';

let stack: V1Stack;

beforeAll(async () => {
  stack = await startV1Stack('v1-cli');
});
afterAll(async () => stack?.close());

async function baton(args: string[], env: Record<string, string> = { BATON_URL: stack.url, BATON_API_KEY: stack.keyOf(stack.projects[0]) }) {
  return await runOperatorCommand(runsCommand, args, env);
}

const start = { input: { task: 'Route this lead', state: { leadId: 'lead-123' } } };

it('lists, gets, resumes and cancels runs as an operator would', async () => {
  const client = stack.sdk(0);
  const toApprove = await client.agents.workflow('lead-router', start);
  const toCancel = await client.agents.workflow('lead-router', start);
  const question = toApprove.output.pendingAction!;
  expect(question).toMatchObject({ step: 'approval', type: 'confirmation', options: ['approve', 'reject', 'escalate'] });

  const table = await eventually(async () => {
    const listed = await baton(['list']);
    expect(listed.out).toContain(toCancel.run_id);
    return listed;
  });
  expect(table.code).toBe(0);
  const lines = table.out.split('\n');
  expect(lines[0]).toMatch(/^RUN\s+STATUS\s+AGENT\s+STEP\s+UPDATED\s+ASKS$/);
  // The list shows what each paused run asks, cut to fit a terminal.
  const row = lines.find((line) => line.startsWith(toApprove.run_id));
  expect(row).toMatch(new RegExp(`^${toApprove.run_id}\\s+paused\\s+lead-router\\s+2\\s+\\d{4}-\\S+\\s+approval: `));
  expect(row!.slice(row!.indexOf('approval: '))).toBe(oneLine(`approval: ${question.message} [approve|reject|escalate]`, 60));

  const json = await baton(['list', '--status', 'paused', '--json']);
  expect((JSON.parse(json.out) as V1RunList).data.map((run) => run.run_id).sort()).toStrictEqual([toApprove.run_id, toCancel.run_id].sort());

  // `get` reads as text: status, each step with its output, and the question with how to answer it.
  const got = await baton(['get', toApprove.run_id]);
  expect(got.code).toBe(0);
  expect(got.out).toContain(`Run     ${toApprove.run_id}\nStatus  paused\n`);
  const classify = toApprove.output.steps.find((step) => step.name === 'classify')!;
  const stepLine = got.out.split('\n').find((line) => line.startsWith('  1.'));
  expect(stepLine).toMatch(/^ {2}1\.\s+classify\s+completed\s+/);
  expect(stepLine!.endsWith(oneLine(classify.output, 80))).toBe(true);
  expect(got.out).toContain(`Waiting at step approval (confirmation):\n  ${question.message}\n  Options: approve, reject, escalate\n`);
  expect(got.out).toContain(`Answer with: baton runs resume ${toApprove.run_id} --step approval --input 'approve'`);
  expect(got.out).not.toContain('"run_id"');
  const gotJson = await baton(['get', toApprove.run_id, '--json']);
  expect({ code: gotJson.code, run: JSON.parse(gotJson.out) as V1Run }).toStrictEqual({ code: 0, run: toApprove });

  const resumed = await baton(['resume', toApprove.run_id, '--step', 'approval', '--input', 'approve']);
  expect(resumed).toMatchObject({ code: 0, out: expect.stringMatching(new RegExp(`^Resumed ${toApprove.run_id} at step approval with "approve"; now completed, result \\{.*"routedTo":"enterprise-sales"`)) as string });
  expect(resumed.out.split('\n')).toHaveLength(1);

  const cancelled = await baton(['cancel', toCancel.run_id]);
  expect(cancelled).toStrictEqual({ code: 0, out: `Cancelled ${toCancel.run_id}; now cancelled`, err: '' });
  // Cancelling a cancelled run answers as it is; --json gives the API's body.
  const again = await baton(['cancel', toCancel.run_id, '--json']);
  expect((JSON.parse(again.out) as V1Run).output.status).toBe('cancelled');
});

it('prints the API body with --json after a resume', async () => {
  const { run_id } = await stack.sdk(0).agents.workflow('lead-router', start);
  const resumed = await baton(['resume', run_id, '--step', 'approval', '--input', 'approve', '--json']);
  expect(resumed.code).toBe(0);
  expect((JSON.parse(resumed.out) as V1Run).output).toMatchObject({ status: 'completed', result: { routedTo: 'enterprise-sales' } });
});

const root = fileURLToPath(new URL('../..', import.meta.url));

it('runs as `baton runs get` in its own process, with BATON_URL and BATON_API_KEY from the environment', async () => {
  const run = await stack.sdk(0).agents.workflow('lead-router', start);
  // The project's own Node 24 (the machine's may be older), as npm scripts would run it.
  const { stdout } = await promisify(execFile)(`${root}/node_modules/.bin/node`, ['src/cli/baton.ts', 'runs', 'get', run.run_id, '--json'], {
    cwd: root,
    env: { ...process.env, BATON_URL: stack.url, BATON_API_KEY: stack.keyOf(stack.projects[0]) },
  });
  expect(JSON.parse(stdout)).toStrictEqual(run);
});

it('reports API errors with their code and exit code 1', async () => {
  const { run_id } = await stack.sdk(0).agents.workflow('lead-router', start);
  const notAnOption = await baton(['resume', run_id, '--step', 'approval', '--input', 'maybe']);
  expect(notAnOption.code).toBe(1);
  expect(notAnOption.err).toMatch(/^error: invalid_resume_input \(HTTP 422\): /);
  expect(notAnOption.err).toContain('approve');
  // A completed run cannot be cancelled (a cancelled one answers as it is).
  await stack.sdk(0).workflowRuns.resume(run_id, { input: { resume: { step: 'approval', input: 'approve' } } });
  const finished = await baton(['cancel', run_id]);
  expect(finished).toMatchObject({ code: 1, err: expect.stringMatching(/^error: run_finished \(HTTP 409\)/) as string });
  const noKey = await baton(['list'], { BATON_URL: stack.url });
  expect(noKey).toMatchObject({ code: 1, err: expect.stringMatching(/^error: unauthorized \(HTTP 401\)/) as string });
});

it('answers bad usage with the usage text and exit code 2, before any request', async () => {
  for (const args of [[], ['nap'], ['get'], ['get', 'a', 'b'], ['resume', 'wfr_1', '--step', 'approval'], ['list', '--status', 'sleeping'], ['list', '--limit', 'ten'], ['list', '--bogus']]) {
    const result = await baton(args, { BATON_URL: 'http://127.0.0.1:1' });
    expect(result.code, args.join(' ')).toBe(2);
    expect(result.err).toContain('usage:');
  }
  expect(await baton(['list'], { BATON_URL: 'not a url' })).toMatchObject({ code: 2, err: expect.stringContaining('BATON_URL') as string });
});

it('says which URL it cannot reach', async () => {
  const result = await baton(['list'], { BATON_URL: 'http://127.0.0.1:1' });
  expect(result).toMatchObject({ code: 1, err: expect.stringContaining('cannot reach http://127.0.0.1:1') as string });
});

it('reads --input as JSON when it parses, else as a string', () => {
  expect(parseResumeInput('approve')).toBe('approve');
  expect(parseResumeInput('{"team":"smb"}')).toStrictEqual({ team: 'smb' });
  expect(parseResumeInput('42')).toBe(42);
  expect(parseResumeInput('"quoted"')).toBe('quoted');
});
