// Durations reach Temporal as milliseconds the server takes: edge values the API accepts, and
// values stored before it was strict, run to a status; none leaves a workflow task failing.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Step } from '../../src/domain/step.ts';
import { defineRun, startEngine, uniqueProject, type Engine } from './engine-harness.ts';

let engine: Engine;
beforeAll(async () => {
  engine = await startEngine('durations');
  engine.agents.register('upper', { kind: 'function', run: async (ctx) => String(ctx.input).toUpperCase() });
});
afterAll(async () => engine?.close());

async function workflowTaskFailures(runId: string): Promise<number> {
  const history = await engine.client.workflow.getHandle(runId).fetchHistory();
  return (history.events ?? []).filter((event) => event.workflowTaskFailedEventAttributes).length;
}

describe('durations handed to Temporal', () => {
  it('runs an agent step whose retry backoff is 3650d, where the server\'s default interval cap would overflow', async () => {
    const project = uniqueProject('backoff');
    const definition = defineRun(project, [{ name: 'shout', agentId: 'upper', retry: { attempts: 2, backoff: '3650d', backoffCoefficient: 10 }, timeout: '3650d' }]);
    const done = await engine.runs.startAndWait({ project, definition, task: 't', state: {}, input: 'hi', waitMs: 30_000 });
    expect(done.status).toBe('completed');
    expect(await workflowTaskFailures(done.runId)).toBe(0);
  });

  it('still runs a step stored with a timeout of "5\\ts" before the API refused it', async () => {
    const project = uniqueProject('legacy-timeout');
    const definition = defineRun(project, [{ name: 'shout', agentId: 'upper', timeout: '5\ts' as Step['timeout'], retry: { attempts: 1, backoff: 0, backoffCoefficient: 2 } }]);
    const done = await engine.runs.startAndWait({ project, definition, task: 't', state: {}, input: 'hi', waitMs: 30_000 });
    expect(done.status).toBe('completed');
    expect(await workflowTaskFailures(done.runId)).toBe(0);
  });

  it('ends a run whose stored duration cannot be read with invalid_definition', async () => {
    const project = uniqueProject('unreadable');
    const definition = defineRun(project, [{ type: 'approval', name: 'gate', message: 'ok?', options: ['yes'], pauseTimeout: 'soon' as Step['pauseTimeout'] }]);
    const failed = await engine.runs.startAndWait({ project, definition, task: 't', state: {}, input: null, waitMs: 30_000 });
    expect(failed.status).toBe('failed');
    expect(failed.error).toMatchObject({ code: 'invalid_definition', step: 'gate' });
    expect(await workflowTaskFailures(failed.runId)).toBe(0);
  });
});
