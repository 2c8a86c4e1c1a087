// Workflow stack traces (the Temporal Web UI's stack trace of a run) are off unless the worker
// turns them on; then the workflow bundle's line-only source map (no source text: a smaller worker)
// must still name Baton's TypeScript files and lines.
import { readFile } from 'node:fs/promises';
import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { bundleInChildProcess, workflowStackFrames } from '../../workers/create-worker.ts';
import { defineRun, startEngine, uniqueProject, type Engine } from './engine-harness.ts';

let engine: Engine;
let untraced: Engine;

beforeAll(async () => {
  engine = await startEngine('stack-trace', { env: { BATON_WORKER_STACK_TRACES: 'on' } });
  untraced = await startEngine('stack-trace-off');
});

afterAll(async () => {
  await engine?.close();
  await untraced?.close();
});

describe('a worker on the default settings', () => {
  it('records no workflow stack traces: the query says so, and the run goes on', async () => {
    const project = uniqueProject('untraced');
    const paused = await untraced.runs.startAndWait({ project, definition: defineRun(project, [{ type: 'input', name: 'ask', message: 'Anything?' }]), task: 't', state: {}, input: null, waitMs: 30_000 });
    expect(paused.status).toBe('paused');
    await expect(untraced.client.workflow.getHandle(paused.runId).query<string>('__stack_trace')).rejects.toThrow(/stack traces are not enabled/);
    const done = await untraced.runs.resumeAndWait(project, paused.runId, { step: 'ask', input: 'yes' }, { waitMs: 30_000 });
    expect(done.status).toBe('completed');
  });
});

describe('the workflow bundle', () => {
  it('maps a paused run\'s stack trace to the TypeScript source lines', async () => {
    const project = uniqueProject('stack');
    const paused = await engine.runs.startAndWait({ project, definition: defineRun(project, [{ type: 'input', name: 'ask', message: 'Anything?' }]), task: 't', state: {}, input: null, waitMs: 30_000 });
    expect(paused.status).toBe('paused');
    const trace = await engine.client.workflow.getHandle(paused.runId).query<string>('__stack_trace');
    const source = await readFile(fileURLToPath(new URL('../../src/workflows/step-runner.ts', import.meta.url)), 'utf8');
    const lines = source.split('\n');
    const frame = trace.match(/src\/workflows\/step-runner\.ts:(\d+)/);
    expect(frame, trace).not.toBeNull();
    // The line the trace names is one of the step runner's waits for the answer.
    expect(lines[Number(frame![1]) - 1]).toMatch(/await (condition|this\.waitForAnswer|this\.waitForHuman)/);
    // Each pending promise's stack is cut at the worker's frame limit (less the SDK's own hook frame):
    // with V8's default of 10 the wait inside condition() shows 7 frames.
    const stacks = trace.split(/\n\s*\n/).map((stack) => stack.split('\n').filter((line) => line.trim().startsWith('at ')).length);
    expect(Math.max(...stacks), trace).toBe(workflowStackFrames - 1);
  });

  it('holds line positions only: no source text inline', async () => {
    const { code } = await bundleInChildProcess();
    const map = JSON.parse(Buffer.from(code.slice(code.lastIndexOf('base64,') + 'base64,'.length), 'base64').toString()) as { sources: string[]; sourcesContent?: unknown };
    expect(map.sourcesContent).toBeUndefined();
    expect(map.sources.some((file) => file.endsWith('src/workflows/agent-run.ts'))).toBe(true);
    expect(code.length).toBeLessThan(1_200_000);
  });
});
