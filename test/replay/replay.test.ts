import { readdir, readFile } from 'node:fs/promises';
import { fileURLToPath } from 'node:url';
import { DeterminismViolationError } from '@temporalio/workflow';
import { bundleWorkflowCode, Worker, type ReplayResult } from '@temporalio/worker';
import { describe, expect, it } from 'vitest';
import { sessionAppendLocalPatch } from '../../src/workflows/step-runner.ts';

// Histories recorded by test/replay/record.ts (read it before re-recording: only with patched()).
const historiesDir = new URL('./histories/', import.meta.url);
const ignore = () => {};
const quiet = { trace: ignore, debug: ignore, info: ignore, log: ignore, warn: ignore, error: console.error };

async function recordedHistories(): Promise<{ workflowId: string; history: unknown }[]> {
  const files = (await readdir(historiesDir)).filter((file) => file.endsWith('.json')).sort();
  return await Promise.all(files.map(async (file) => ({ workflowId: file.replace(/\.json$/, ''), history: JSON.parse(await readFile(new URL(file, historiesDir), 'utf8')) as unknown })));
}

async function replay(workflowsPath: string): Promise<ReplayResult[]> {
  const workflowBundle = await bundleWorkflowCode({ workflowsPath, logger: quiet });
  const results: ReplayResult[] = [];
  for await (const result of Worker.runReplayHistories({ workflowBundle }, await recordedHistories())) results.push(result);
  return results;
}

describe('recorded histories', () => {
  it('holds the representative runs: completed, resumed (before and after session-append-local-activity), branched, cancelled, pause-timed-out, reviewed', async () => {
    expect((await recordedHistories()).map((entry) => entry.workflowId)).toEqual(['branched', 'cancelled', 'completed', 'pause-timeout', 'resumed-session-local', 'resumed', 'review-and-input']);
  });

  it('take both branches of patch session-append-local-activity: an activity before it, a local activity after', async () => {
    const histories = Object.fromEntries((await recordedHistories()).map((entry) => [entry.workflowId, JSON.stringify(entry.history)]));
    const appendScheduled = (history: string) => history.includes('"activityType":{"name":"appendSessionEntry"}');
    expect([appendScheduled(histories.resumed!), histories.resumed!.includes(sessionAppendLocalPatch)]).toEqual([true, false]);
    const patchData = Buffer.from(JSON.stringify({ id: sessionAppendLocalPatch, deprecated: false })).toString('base64');
    expect([appendScheduled(histories['resumed-session-local']!), histories['resumed-session-local']!.includes(patchData)]).toEqual([false, true]);
  });

  it('replay deterministically with the current agentRun', async () => {
    const results = await replay(fileURLToPath(new URL('../../src/workflows/index.ts', import.meta.url)));
    expect(results).toHaveLength(7);
    for (const result of results) expect({ workflowId: result.workflowId, error: result.error }).toEqual({ workflowId: result.workflowId, error: undefined });
  });

  it('fail to replay with a workflow whose command order changed', async () => {
    const results = await replay(fileURLToPath(new URL('./nondeterministic/index.ts', import.meta.url)));
    expect(results).toHaveLength(7);
    for (const result of results) expect(result.error).toBeInstanceOf(DeterminismViolationError);
  });
});
